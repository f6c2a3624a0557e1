"""The participant page: a Gradio tab whose own small player and script talk to the listening routes.

Gradio's audio play/stop events are unreliable, so the page plays clips with plain ``Audio`` objects
and reports ``play`` and ``ended`` to ``/listening/api``; the server decides whether an answer counts.
A link ``/?study=ID`` opens this tab and starts (or, with ``&p=TOKEN`` or the browser's stored token,
resumes) a session.
"""

from __future__ import annotations

import os

import gradio as gr

TAB_ID = "listening-test"
CSS = """
.sb-study { max-width: 760px; font-size: 1rem; }
.sb-study label { display: block; margin: .3rem 0; }
.sb-study input:not([type]) { display: block; width: 100%; padding: .3rem; }
.sb-study fieldset { margin: .6rem 0; padding: .4rem .8rem; }
.sb-study fieldset label { display: inline-block; margin-right: 1.2rem; }
.sb-player { display: flex; gap: .8rem; align-items: center; margin: .4rem 0; }
.sb-player button, .sb-study > button { padding: .4rem 1rem; border-radius: 6px; border: 1px solid #888; }
.sb-progress { width: 100%; } .sb-error { color: #b00020; } .sb-code { font-size: 2rem; font-weight: bold; }
"""


def _script() -> str:
    with open(os.path.join(os.path.dirname(__file__), "static", "listening.js"), encoding="utf-8") as f:
        return f.read()


def listening_tab() -> None:
    with gr.Tab("Listening test", id=TAB_ID):
        gr.HTML(
            "",
            html_template=f"<style>{CSS}</style><div class='sb-study'>Loading…</div>",
            js_on_load=_script(),
            apply_default_css=False,
        )


def open_study_tab(request: gr.Request):
    """A link naming a study opens the listening tab."""
    if request is not None and request.query_params.get("study"):
        return gr.Tabs(selected=TAB_ID)
    return gr.Tabs()
