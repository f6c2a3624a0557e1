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
.sb-study { max-width: 760px; font-size: 1rem; line-height: 1.45; }
.sb-study h3 { font-size: 1.35rem; font-weight: 600; margin: .4rem 0 .6rem; }
.sb-study p { margin: .5rem 0; }
.sb-study label { display: block; margin: .6rem 0; }
.sb-study input[type=text], .sb-study input:not([type]) {
  display: block; width: 100%; min-height: 44px; margin-top: .3rem; padding: .4rem .6rem; box-sizing: border-box;
  border: 1px solid #8a8f98; border-radius: 6px; background: transparent; color: inherit; font: inherit; }
.sb-study input[type=text]:focus, .sb-study input:not([type]):focus { outline: 2px solid #2563eb; outline-offset: 1px; }
.sb-study fieldset { margin: .8rem 0; padding: .4rem .8rem .6rem; border: 1px solid #c5c9d0; border-radius: 8px; }
.sb-study legend { padding: 0 .3rem; font-weight: 600; }
/* A choice is a ≥ 44 px target around a native control; the chosen one is filled and outlined. */
.sb-study label.sb-choice { display: inline-flex; align-items: center; gap: .55rem; min-height: 44px; min-width: 44px;
  margin: .25rem .5rem .25rem 0; padding: 0 .9rem; box-sizing: border-box; border: 2px solid #c5c9d0;
  border-radius: 8px; cursor: pointer; user-select: none; }
.sb-study label.sb-choice:hover { border-color: #6b8fd6; }
.sb-study label.sb-choice:has(input:checked) {
  border-color: #2563eb; background: rgba(37, 99, 235, .18); box-shadow: inset 0 0 0 1px #2563eb; }
.sb-study label.sb-choice:has(input:focus-visible) { outline: 2px solid #2563eb; outline-offset: 2px; }
.sb-study input[type=radio], .sb-study input[type=checkbox] {
  appearance: auto; -webkit-appearance: auto; accent-color: #2563eb; width: 22px; height: 22px; margin: 0;
  flex-shrink: 0; cursor: pointer; }
.sb-study input[type=radio]:checked, .sb-study input[type=checkbox]:checked { background-image: none; }
.sb-player { display: flex; gap: .8rem; align-items: center; margin: .4rem 0; }
.sb-player button { white-space: nowrap; } .sb-player progress { flex: 1 1 auto; min-width: 60px; max-width: 240px; }
.sb-player button, .sb-study > button {
  min-height: 44px; padding: .4rem 1rem; border-radius: 6px; border: 1px solid #888; }
.sb-study button:disabled { opacity: .45; cursor: not-allowed; }
@media (max-width: 480px) {
  .sb-study fieldset { padding: .3rem .4rem .5rem; }
  .sb-study label.sb-choice { padding: 0 .4rem; margin-right: 0; gap: .3rem; } }
.sb-table { border-collapse: collapse; margin: .6rem 0; } .sb-table td, .sb-table th { padding: .25rem .6rem;
  border-bottom: 1px solid #c5c9d0; text-align: left; } .sb-reveal { font-size: 1.1rem; }
.sb-progress { width: 100%; } .sb-error { color: #b00020; } .sb-code { font-size: 2rem; font-weight: 600; }
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


def open_study_tab(request: gr.Request, *, hidden: int = 0) -> list:
    """A link naming a study opens the listening tab and hides ``hidden`` more blocks (the header and every
    other tab, whose names name the systems under test), so participants stay blind and undistracted.
    Returns the update of the tabs, then one per hidden block."""
    if request is not None and request.query_params.get("study"):
        # "hidden", not False: an update to visible=False leaves a tab's button in the row (Gradio 6.31)
        return [gr.Tabs(selected=TAB_ID), *[gr.update(visible="hidden")] * hidden]
    return [gr.Tabs(), *[gr.update()] * hidden]
