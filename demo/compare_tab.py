"""The Compare tab: a task, one input voice (and a melody for speech → singing), then a card per converter
filling in as each finishes — audio, plot, timings, real-time factor, reference-free scores — and a
summary table. The logic is demo/comparison.py.
"""

from __future__ import annotations

import os

import gradio as gr

from demo.admission import admission
from demo.comparison import (
    QUEUED,
    WAITING,
    Card,
    as_task,
    compare_tasks,
    needs_melody,
    plan_comparison,
    run_plan,
    summary_markdown,
    task_label,
)
from demo.conversion import setting_words
from demo.converter_tab import DemoServices
from demo.melody_input import build_melody_inputs, melody_from_inputs
from demo.plots import conversion_figure
from models.base import Task
from models.errors import SongbridgeError
from models.features import ACCEPTED
from models.registry import Registry


def _heading(registry: Registry, names: list[str], k: int) -> str:
    if k >= len(names):
        return ""
    spec = registry.spec(names[k])
    return f"### {spec.title} · `{spec.name}`\n{spec.description}"


# ---------------------------------------------------------------------------------------------------------
# The tab


def compare_tab(services: DemoServices) -> None:
    """The Compare tab; call it inside an open ``gr.Tabs()``."""
    registry = services.registry
    tasks = compare_tasks(registry)
    with gr.Tab("Compare", id="compare"):
        size = f", files up to {services.max_upload_mb:g} MB" if services.max_upload_mb else ""
        gr.Markdown(
            "Run **every available converter** of a task on one recording, each with its default options, "
            "and hear and read them side by side: output, mel spectrograms with F0, timings with the "
            "real-time factor, and objective scores that need no reference recording (pitch accuracy "
            "against the melody, speaker similarity to your input, DNSMOS quality, …). The cards fill in "
            "as each converter finishes.\n\n"
            f"Inputs up to **{services.limits.max_seconds:.0f} s** ({ACCEPTED}{size}); longer recordings "
            "are refused."
        )
        if not tasks:
            gr.Markdown("**Not available:** no converter has its checkpoint.")
            return
        names_of = {t: registry.names(task=t, available_only=True) for t in tasks}
        n_cards = max(len(v) for v in names_of.values())
        melody_tasks = {t for t in tasks if needs_melody(registry, t)}
        with gr.Row():
            with gr.Column():
                task_choice = gr.Radio(
                    [(task_label(t), t.name) for t in tasks],
                    value=tasks[0].name,
                    label="Task",
                    info="; ".join(f"{task_label(t)}: {', '.join(names_of[t])}" for t in tasks),
                )
                audio_in = gr.Audio(sources=["upload", "microphone"], type="filepath", label="Input voice")
                learned = gr.Checkbox(
                    value=True,
                    label="Score with pretrained models too",
                    info="Speaker similarity (Resemblyzer) and DNSMOS quality: about 1 s more per converter.",
                )
                examples_slot = gr.Column()  # filled once the melody controls exist
            with gr.Column(visible=tasks[0] in melody_tasks) as melody_column:
                melody_controls = build_melody_inputs(services.limits) if melody_tasks else {}
        run = gr.Button("Compare", variant="primary")
        summary = gr.Markdown()
        card_parts = []
        for row_start in range(0, n_cards, 2):  # two cards a row: a plot stays readable
            with gr.Row(equal_height=False):
                for k in range(row_start, min(row_start + 2, n_cards)):
                    with gr.Column(visible=k < len(names_of[tasks[0]])) as column:
                        heading = gr.Markdown(_heading(registry, names_of[tasks[0]], k))
                        audio_out = gr.Audio(
                            type="filepath", label="Output", interactive=False, buttons=["download"]
                        )
                        plot = gr.Plot(label="Mel spectrograms with F0")
                        text = gr.Markdown(WAITING if k < len(names_of[tasks[0]]) else "")
                    card_parts.append((column, heading, audio_out, plot, text))
        card_outputs = [part for parts in card_parts for part in parts]

        def reset(task: Task, waiting: str = WAITING) -> list:
            """Every card of ``task``'s converters shown, titled and empty; the others hidden."""
            names = names_of[task]
            out = []
            for k in range(n_cards):
                shown = k < len(names)
                out += [
                    gr.update(visible=shown),
                    _heading(registry, names, k),
                    None,
                    None,
                    waiting if shown else "",
                ]
            return out

        def choose_task(task_name: str) -> list:
            task = as_task(task_name)
            return [gr.update(visible=task in melody_tasks), "", *reset(task)]

        def compare(audio_path, task_name, learned_scores, progress=gr.Progress(), **values):  # noqa: B008 - Gradio's idiom
            task = as_task(task_name)
            if not audio_path:
                raise gr.Error("Upload or record a voice first (or click an example), then press Compare.")
            melody, settings = None, None
            if task in melody_tasks:
                melody_values = {n: values[n] for n in melody_controls}
                try:
                    melody = melody_from_inputs(**melody_values, limits=services.limits)
                except SongbridgeError as error:
                    raise gr.Error(str(error)) from None
                settings = setting_words(None, melody_values)
            plan = plan_comparison(services, task, audio_path, melody, settings=settings)
            waiting = [Card(n, "", "") for n in plan.names]
            yield [summary_markdown(plan, waiting), *reset(task, QUEUED)]
            filled: set[int] = set()
            for cards in run_plan(
                services,
                plan,
                learned_scores=bool(learned_scores),
                progress=lambda f, desc: progress(f, desc=desc),
            ):
                final = all(card.status != "waiting" for card in cards)
                out = [summary_markdown(plan, cards)]
                for k in range(n_cards):
                    card = cards[k] if k < len(cards) else None
                    if card is None or card.status == "waiting":
                        out += [gr.skip()] * 5
                    elif k not in filled:  # just finished: its output, plot and text
                        filled.add(k)
                        result = card.conversion.result if card.conversion is not None else None
                        figure = conversion_figure(result) if result is not None else None
                        out += [gr.skip(), gr.skip(), card.output_path, figure, card.markdown()]
                    elif final:  # the last yield is what the API returns: every card's output and text again
                        out += [gr.skip(), gr.skip(), card.output_path, gr.skip(), card.markdown()]
                    else:
                        out += [gr.skip()] * 5
                yield out

        comparing = run.click(
            compare,
            inputs=[audio_in, task_choice, learned],
            inputs_kwargs=melody_controls,
            outputs=[summary, *card_outputs],
            api_name="compare",
            concurrency_limit=services.conversion_concurrency,
            concurrency_id="conversion",
            validator=admission("conversion"),
            show_progress_on=[summary],  # one progress bar, above the cards
        )
        task_choice.change(
            choose_task,
            inputs=task_choice,
            outputs=[melody_column, summary, *card_outputs],
            queue=False,
            api_visibility="private",
            cancels=[comparing],  # a running comparison would fill the new task's cards
        )
        with examples_slot:
            _examples(tasks, audio_in, task_choice, melody_controls)


def _examples(tasks: list[Task], audio_in, task_choice, melody_controls: dict) -> None:
    """The bundled voices (demo/examples.py), each for its task; a click sets the voice, the task and, for
    speech → singing, the example's melody."""
    from demo import examples as bundled

    defaults = {name: control.value for name, control in melody_controls.items()}
    rows, labels = [], []
    for task in tasks:
        for example in bundled.EXAMPLES.get(task, ()):
            path = bundled.example_path(example.voice)
            if not os.path.isfile(path):
                continue
            melody = {**defaults, **(bundled.melody_values(example) or {})} if melody_controls else {}
            rows.append([path, task.name, *(melody.get(n) for n in melody_controls)])
            labels.append(f"{task_label(task)} · {example.label}")
    if rows:
        gr.Examples(
            examples=rows,
            inputs=[audio_in, task_choice, *melody_controls.values()],
            example_labels=labels,
            label="Examples: a click sets the voice, the task and the melody",
            cache_examples=False,
        )
