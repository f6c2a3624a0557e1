"""The study admin tab: built only when SONGBRIDGE_ADMIN_TOKEN is set, and every handler checks the
token itself, because every Gradio event can be called over /gradio_api/ without the page.

Every event skips Gradio's queue (``queue=False``): the queue is shared with the conversions, whose
waiting events count against its one ``max_size``, so a queue full of conversions would otherwise
refuse or delay the admin. Direct calls run in the server's thread pool, beside the conversions."""

from __future__ import annotations

import os
import tempfile

import gradio as gr
import pandas as pd

from demo.report_summary import readable_report, summary, with_summary, without_section
from evaluation.listening.service import ListeningError, ListeningService

# The participant link is made in the browser from the address the admin is using, so it is right
# behind a proxy or on a hosted Space too (the server may see another host or scheme).
LINK_JS = (
    "(study) => study ? location.origin + location.pathname + '?study=' + encodeURIComponent(study) : ''"
)
CSS = """<style>
.sb-report table { display: block; overflow-x: auto; }
.sb-report th, .sb-report td { white-space: nowrap; }
.sb-report img { max-width: 100%; height: auto; }
</style>"""

#: the export button: fetch the answers from the admin route with the token in a header and save them as a
#: download in the browser (Gradio's file route would serve them at a URL anyone holding it can fetch)
EXPORT_JS = """async (token, study, fmt) => {
  if (!study) return "Choose a study first.";
  const r = await fetch(`/listening/api/admin/${encodeURIComponent(study)}/export?format=${fmt}`,
                        {headers: {"X-Admin-Token": token || ""}});
  if (!r.ok) return (await r.json().catch(() => ({error: r.statusText}))).error;
  const a = document.createElement("a");
  a.href = URL.createObjectURL(await r.blob());
  a.download = `${study}-answers.${fmt}`;
  document.body.append(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  return `Saved ${study}-answers.${fmt}.`;
}"""


def _checked(token: str) -> None:
    try:
        ListeningService.check_admin(given=token)
    except ListeningError as error:
        raise gr.Error(str(error)) from None


def admin_tab(listening: ListeningService) -> None:
    from evaluation.listening import export as ex

    def studies(token: str):
        _checked(token)
        table = listening.studies()
        return table, gr.Dropdown(
            choices=list(table["id"]), value=table["id"].iloc[0] if len(table) else None
        )

    def progress(token: str, study_id: str):
        _checked(token)
        if not study_id:
            raise gr.Error("Choose a study first.")
        conditions, listeners = listening.progress(study_id=study_id)
        return conditions, listeners.assign(profile=lambda f: f["profile"].astype(str))

    def report(token: str, study_id: str):
        from evaluation.listening.analysis import analyze
        from evaluation.listening.report import write_report

        _checked(token)
        if not study_id:
            raise gr.Error("Choose a study first.")
        cfg = listening.config(study_id=study_id)
        answers = listening.answers(study_id=study_id)
        if not len(answers):
            return "No answers yet.", pd.DataFrame(), []
        result = analyze(
            answers=answers, study_type=cfg["type"], rules=cfg["screening"], resamples=300,
            participants=listening.participants(study_id=study_id),
        )  # fmt: skip
        out = tempfile.mkdtemp(prefix="songbridge-report-")
        path = write_report(analysis=result, out_dir=out, title=cfg["title"], study_hash=cfg["hash"])
        with open(path, encoding="utf-8") as f:
            text = f.read()
        figures = sorted(os.path.join(out, p) for p in os.listdir(out) if p.endswith(".png"))
        # the per-listener screening is the table beside the report; the figures are inlined
        body = readable_report(without_section(text, "## Listener screening"), figures_dir=out)
        return with_summary(body, summary(result)), result.screening, figures

    def download(token: str, study_id: str, fmt: str):
        _checked(token)
        if not study_id:
            raise gr.Error("Choose a study first.")
        out = os.path.join(tempfile.mkdtemp(prefix="songbridge-export-"), f"{study_id}-answers.{fmt}")
        return ex.write_frame(listening.answers(study_id=study_id), fmt=fmt, out=out)

    def set_status(token: str, study_id: str, status: str):
        _checked(token)
        try:
            listening.set_status(study_id=study_id or "", status=status)
        except ListeningError as error:
            raise gr.Error(str(error)) from None
        return listening.studies()

    with gr.Tab("Study admin", id="study-admin"):
        gr.HTML("", html_template=CSS, apply_default_css=False)
        gr.Markdown(
            "Studies, live progress, screening, reports and exports. Every action needs the admin token."
        )
        with gr.Row():
            token = gr.Textbox(label="Admin token", type="password", scale=3)
            load = gr.Button("Load studies", scale=1)
        table = gr.Dataframe(label="Studies", interactive=False)
        with gr.Row():
            study = gr.Dropdown(label="Study", choices=[], allow_custom_value=True, scale=3)
            refresh = gr.Button("Progress", scale=1)
            opened = gr.Button("Open", scale=1)
            closed = gr.Button("Close…", scale=1)
        link = gr.Textbox(
            label="Participant link (send this to participants)",
            interactive=False,
            buttons=["copy"],
            placeholder="Load the studies and choose one.",
            elem_id="sb-participant-link",
        )
        with gr.Row(visible=False) as confirm_row:
            confirm_text = gr.Markdown()
            confirm_close = gr.Button("Yes, close it", variant="stop", scale=0)
            cancel_close = gr.Button("Cancel", scale=0)
        conditions = gr.Dataframe(
            label="Progress per condition (item, system in A, system in B)", interactive=False
        )
        listeners = gr.Dataframe(label="Progress per listener", interactive=False)
        analyse = gr.Button("Analyse")
        text = gr.Markdown(elem_id="sb-report", elem_classes="sb-report")
        screening = gr.Dataframe(label="Listener screening", interactive=False)
        with gr.Accordion("Figures as files (enlarge, download)", open=False):
            gallery = gr.Gallery(label="Figures", columns=1, object_fit="contain", height="auto")
        with gr.Row():
            fmt = gr.Radio(["csv", "parquet"], value="csv", label="Export format")
            export_button = gr.Button("Export answers")
            export_status = gr.Markdown()
        # the API's export (gradio_client) returns a file; the page's button downloads through the admin
        # route instead, so the answers never sit at a URL that works without the token
        api_export = gr.Button(visible=False)
        file = gr.File(visible=False)

        def ask_close(study_id: str):
            if not study_id:
                raise gr.Error("Choose a study first.")
            return gr.Row(visible=True), (
                f"**Close study `{study_id}`?** No one new can join it (anyone already past the consent "
                "page may finish); the answers are kept, and **Open** lets people join again."
            )

        hide = {"fn": lambda: gr.Row(visible=False), "outputs": [confirm_row], "queue": False}
        admin = {"queue": False}
        load.click(studies, [token], [table, study], api_name="admin_studies", **admin)
        refresh.click(progress, [token, study], [conditions, listeners], api_name="admin_progress", **admin)
        analyse.click(report, [token, study], [text, screening, gallery], api_name="admin_report", **admin)
        api_export.click(download, [token, study, fmt], [file], api_name="admin_export", **admin)
        export_button.click(
            None, [token, study, fmt], [export_status], js=EXPORT_JS, api_visibility="private"
        )
        opened.click(
            lambda t, s: set_status(t, s, "open"), [token, study], [table], api_name="admin_open", **admin
        )
        study.change(None, [study], [link], js=LINK_JS)
        study.change(**hide, api_visibility="private")
        closed.click(ask_close, [study], [confirm_row, confirm_text], queue=False, api_visibility="private")
        cancel_close.click(**hide, api_visibility="private")
        confirm_close.click(
            lambda t, s: set_status(t, s, "closed"), [token, study], [table], api_name="admin_close", **admin
        ).success(**hide, api_visibility="private")
