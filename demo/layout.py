"""The whole web app: a header and one tab per task, built from the converter registry and the services it is
handed. Speech → Singing leads; a task with several converter families shows each in a tab of its own."""

from __future__ import annotations

import gradio as gr

from demo.compare_tab import compare_tab
from demo.conversion import slug
from demo.converter_tab import DemoServices, converter_tab
from models.base import Task

#: the tasks in the order people come for them (the vocoder check, a diagnostic, after Compare)
TASK_ORDER = (Task.SPEECH_TO_SINGING, Task.SINGING_TO_SPEECH, Task.STYLE)

INTRO = """# Songbridge
Speech ↔ singing conversion and listening tests. Every tab takes an uploaded or recorded voice;
each plot shows the input and output mel spectrograms with F0 drawn over them."""

# On a study link (``/?study=ID``) participants see the study alone: the header, the tab row (whose
# converter tabs name the systems under test) and Gradio's footer (its API page lists them too) are
# hidden from the first paint, before the load event hides the tabs themselves (open_study_tab).
PARTICIPANT_VIEW = """<style>
html.sb-participant .sb-chrome, html.sb-participant .tab-wrapper, html.sb-participant footer {
  display: none !important; }
</style>"""
# On a phone the top tab row would hide most tabs behind an overflow menu: there a "Go to" selector that
# lists every tab replaces the row; on a wider screen the selector is hidden and the row fits.
NAVIGATION = """<style>
@media (min-width: 721px) { .sb-phone-nav { display: none !important; } }
@media (max-width: 720px) { #sb-main > .tab-wrapper { display: none !important; } }
</style>"""
PARTICIPANT_VIEW_JS = (
    "if (new URLSearchParams(window.location.search).get('study')) "
    "document.documentElement.classList.add('sb-participant');"
)


def build_app(services: DemoServices, *, listening=None) -> gr.Blocks:
    """``listening`` (a ListeningService) adds the listening-test tab, and the admin tab when
    SONGBRIDGE_ADMIN_TOKEN is set."""
    with gr.Blocks(title="Songbridge", analytics_enabled=False) as app:
        gr.HTML("", html_template=NAVIGATION, apply_default_css=False)
        if listening is not None:
            gr.HTML(
                "", html_template=PARTICIPANT_VIEW, js_on_load=PARTICIPANT_VIEW_JS, apply_default_css=False
            )
        intro = gr.Markdown(INTRO, elem_classes="sb-chrome")
        navigator = gr.Dropdown(label="Go to", elem_classes=["sb-chrome", "sb-phone-nav"], interactive=True)
        with gr.Tabs(elem_id="sb-main") as tabs:
            tasks = services.registry.tasks()
            for task in (t for t in TASK_ORDER if t in tasks):
                task_tab(services, task)
            compare_tab(services)
            if Task.RESYNTHESIS in tasks:  # a diagnostic: after what people come for
                task_tab(services, Task.RESYNTHESIS)
            if listening is not None:
                _listening_tabs(app, tabs, intro, listening)
        _navigate(navigator, tabs)
    return app


def task_tab(services: DemoServices, task: Task) -> None:
    """The tab of one task: its one converter family's tab, or a tab of tabs, one per family."""
    families = services.registry.tabs(task)
    if len(families) == 1:
        [specs] = families.values()
        converter_tab(services, [s.name for s in specs], title=task.title, intro=specs[0].intro)
        return
    with gr.Tab(task.title, id=slug(task.title)), gr.Tabs():
        for label, specs in families.items():
            converter_tab(services, [s.name for s in specs], title=label, intro=specs[0].intro)


def _navigate(navigator: gr.Dropdown, tabs: gr.Tabs) -> None:
    """Fill the phone's "Go to" selector with every top-level tab; choosing one opens it."""
    top = [(t.label, t.id) for t in tabs.children if isinstance(t, gr.Tab)]
    navigator.choices = top
    navigator.value = top[0][1]

    navigator.change(
        lambda chosen: gr.Tabs(selected=chosen), navigator, tabs, queue=False, api_visibility="private"
    )


def _listening_tabs(app: gr.Blocks, tabs: gr.Tabs, intro: gr.Markdown, listening) -> None:
    from demo.listening_tab import TAB_ID, listening_tab, open_study_tab
    from evaluation.listening.settings import admin_token

    listening_tab()
    if admin_token() is not None:
        from demo.admin_tab import admin_tab

        admin_tab(listening)
    others = [intro, *(t for t in tabs.children if isinstance(t, gr.Tab) and t.id != TAB_ID)]

    def participant_view(request: gr.Request):
        return open_study_tab(request, hidden=len(others))

    app.load(participant_view, None, [tabs, *others], queue=False, api_visibility="private")
