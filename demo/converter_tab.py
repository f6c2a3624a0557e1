"""The tab machinery every converter uses: input, options, output audio, plot, timings, errors.

A tab is built from registry names alone; the converter is loaded on its first conversion.
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass, field

import gradio as gr

from demo.admission import admission
from demo.controls import build_controls, options_from_values
from demo.conversion import (
    Conversion,
    input_name,
    output_file_name,
    run_conversion,
    setting_words,
    write_output,
)
from demo.melody_input import build_melody_inputs, melody_from_inputs
from demo.plots import conversion_figure
from demo.streaming import can_stream, streamed, wav_bytes
from models.errors import SongbridgeError
from models.features import ACCEPTED, AudioLimits, load_audio
from models.registry import Registry

log = logging.getLogger(__name__)


@dataclass
class DemoServices:
    """What the UI is handed: it builds nothing of its own."""

    registry: Registry
    output_dir: str
    limits: AudioLimits = field(default_factory=AudioLimits)
    #: conversions running at once, shared by every tab (CPU-bound: about the core count)
    conversion_concurrency: int = 1
    #: the largest upload, said in each tab (the server enforces it: app.launch_kwargs)
    max_upload_mb: float | None = None
    #: play long outputs while they are vocoded (needs ffmpeg, as Gradio's streaming output does)
    stream_audio: bool = field(default_factory=can_stream)


def _previous_label(made_by: str | None) -> str:
    return f"Previous output: {made_by}" if made_by else "Previous output (to compare)"


def converter_tab(services: DemoServices, names: list[str], *, title: str, intro: str) -> None:
    """One tab for the converters ``names`` (variants of one family, sharing one Options class)."""
    registry = services.registry
    specs = [registry.spec(n) for n in names]
    available = [s.name for s in specs if s.available]
    options_cls = registry.options_class(names[0])
    slug = names[0].replace("-", "_")

    with gr.Tab(title, id=slug):
        size = f", files up to {services.max_upload_mb:g} MB" if services.max_upload_mb else ""
        gr.Markdown(
            f"{intro}\n\n**Try it:** click an example below (its output is ready at once), or drop your own "
            f"voice and press Convert. Inputs up to **{services.limits.max_seconds:.0f} s** ({ACCEPTED}{size}); "
            "longer recordings are refused."
        )
        if not available:
            gr.Markdown("**Not available:** " + "; ".join(f"`{s.name}` has no checkpoint" for s in specs))
        with gr.Row():
            with gr.Column():
                audio_in = gr.Audio(sources=["upload", "microphone"], type="filepath", label="Input voice")
                examples_slot = gr.Column()  # filled once every control the examples set exists
                variant = gr.Radio(
                    choices=available or names,
                    value=(available or names)[0],
                    label="Variant",
                    visible=len(names) > 1,
                    info="; ".join(f"{s.name}: {s.description}" for s in specs),
                )
                needs_melody = registry.needs_melody(names[0])
                melody_controls = build_melody_inputs(services.limits) if needs_melody else {}
                option_names, option_controls = build_controls(options_cls)
            with gr.Column():
                run = gr.Button("Convert", variant="primary")
                live = gr.Audio(
                    streaming=True,
                    autoplay=True,
                    interactive=False,
                    label="Live: outputs longer than 4 s start playing while they are vocoded",
                    visible=services.stream_audio,
                )
                audio_out = gr.Audio(type="filepath", label="Output", interactive=False, buttons=["download"])
                timings = gr.Markdown()
                plot = gr.Plot(label="Mel spectrograms with F0")
                previous = gr.Audio(type="filepath", label=_previous_label(None), interactive=False)
        # [(path, what made it)] of the last two outputs, newest last: the players' labels say what made them
        last_output = gr.State([])
        outputs = [audio_out, previous, timings, plot, last_output]

        # Melody and option controls are passed by name, so the API names its parameters after them
        # (``tune``, ``vibrato_rate_hz``, …) rather than ``param_3``; the order stays the UI's.
        named_controls = {**melody_controls, **dict(zip(option_names, option_controls, strict=True))}

        def shown(conversion: Conversion, path: str, history: list) -> list:
            """The outputs of a finished conversion (plain values, so an API caller gets the file path); the
            last one moves to the "previous output" player."""
            last = (history or [None])[-1]
            if last and not os.path.isfile(last[0]):  # deleted meanwhile as an old output (storage.py)
                last = None
            return [
                path,
                last[0] if last else None,
                conversion.report(),
                conversion_figure(conversion.result),
                [*([last] if last else []), (path, conversion.made_by)],
            ]

        def relabel(history: list):
            """Name both players after what made their audio (a UI-only step after each result)."""
            current = history[-1][1] if history else None
            before = history[-2][1] if len(history) > 1 else None
            return (
                gr.update(label=f"Output: {current}" if current else "Output"),
                gr.update(label=_previous_label(before)),
            )

        def convert(audio_path, variant_name, last, progress=gr.Progress(), **values):  # noqa: B008 - Gradio's idiom
            """Yields each vocoded piece of a long output to the live player, then the finished outputs."""
            if not audio_path:
                raise gr.Error("Upload or record a voice first, or click one of the examples.")
            options = options_from_values(options_cls, option_names, [values[n] for n in option_names])
            melody_values = {n: values[n] for n in melody_controls} or None
            try:
                audio = load_audio(audio_path, limits=services.limits)
                melody = (
                    melody_from_inputs(**melody_values, limits=services.limits) if melody_values else None
                )

                def work() -> Conversion:
                    return run_conversion(
                        registry,
                        variant_name,
                        audio,
                        melody=melody,
                        options=options,
                        settings=setting_words(options, melody_values),
                        input_name=input_name(audio_path),
                        progress=lambda f, desc: progress(f, desc=desc),
                    )

                played = False  # whether the live player got anything (else it is cleared at the end)
                if services.stream_audio:
                    pieces = streamed(work)
                    while True:
                        try:
                            piece = next(pieces)
                        except StopIteration as finished:
                            conversion = finished.value
                            break
                        played = True
                        yield [gr.skip()] * len(outputs) + [wav_bytes(piece)]
                else:
                    conversion = work()
            except SongbridgeError as error:
                raise gr.Error(str(error)) from None
            except Exception as error:
                log.exception("conversion with %s failed", variant_name)
                raise gr.Error(
                    f"The conversion failed unexpectedly ({type(error).__name__}). Try another recording; "
                    "if it happens again, report it with the recording."
                ) from None
            finished_output = shown(conversion, write_output(conversion, services.output_dir), last)
            yield [*finished_output, gr.skip() if played else None]

        run.click(
            convert,
            inputs=[audio_in, variant, last_output],
            inputs_kwargs=named_controls,
            outputs=[*outputs, live],
            api_name=f"convert_{slug}",
            concurrency_limit=services.conversion_concurrency,
            concurrency_id="conversion",
            validator=admission("conversion"),
            show_progress_on=[audio_out],  # one progress bar, where the result will appear
        ).success(relabel, last_output, [audio_out, previous], queue=False, api_visibility="private")
        with examples_slot:
            shown_example = _examples(services, specs, audio_in, variant, named_controls, outputs, shown)
        if shown_example is not None:
            shown_example.success(
                relabel, last_output, [audio_out, previous], queue=False, api_visibility="private"
            )


def _examples(services: DemoServices, specs, audio_in, variant, named_controls, outputs, shown):
    """The tab's examples: a click sets the voice, variant, melody and settings, and shows the output
    computed ahead (demo/examples.py) without converting — unless that output is stale (its inputs,
    checkpoint, weights or code changed since), which the click then says. Returns the click's event
    (None: no examples)."""
    from demo import examples as bundled

    registry = services.registry
    rows = [
        r
        for r in bundled.tab_rows([s for s in specs if s.available], registry)
        if os.path.isfile(r.cache_stem + ".json")
    ]
    if not rows:
        return None
    stale = [bundled.stale_reason(r, registry) for r in rows]  # judged once, when the app starts
    for reason in filter(None, stale):
        log.warning("example output out of date (run python -m demo.examples): %s", reason)
    options_cls = registry.options_class(specs[0].name)
    controls = list(named_controls)

    def values(row) -> list:
        melody = bundled.melody_values(row.example) or {}
        options = bundled.option_values(row.example, options_cls)
        return [
            bundled.example_path(row.example.voice),
            row.converter,
            *[melody.get(n, options.get(n)) for n in controls],
        ]

    table = gr.Examples(
        examples=[values(r) for r in rows],
        inputs=[audio_in, variant, *named_controls.values()],
        example_labels=[r.label for r in rows],
        label="Examples: one click sets everything and plays an output computed ahead",
        cache_examples=False,
    )

    def show_example(history, selected: gr.SelectData):
        row = rows[selected.index]
        if stale[selected.index]:
            return [
                gr.skip(),
                gr.skip(),
                "*This example's output computed ahead is out of date (the converter or its inputs changed "
                "since); press Convert to hear what it gives now.*",
                gr.skip(),
                gr.skip(),
            ]
        conversion, path = bundled.load_cached(row, limits=services.limits)
        copy = os.path.join(services.output_dir, os.path.basename(output_file_name(conversion, "flac")))
        os.makedirs(services.output_dir, exist_ok=True)
        shutil.copyfile(path, copy)  # served from the output folder, as any output is
        shown_values = shown(conversion, copy, history)
        shown_values[2] = (
            "*Computed ahead for this example, not just now; press Convert to run it yourself.*\n\n"
            + shown_values[2]
        )
        return shown_values

    # Queued with a small limit of its own: each click re-analyses the stored audio for the plot (~1 s).
    return table.dataset.select(
        show_example,
        [outputs[-1]],
        outputs,
        concurrency_limit=2,
        concurrency_id="examples",
        api_visibility="private",
        show_progress_on=[outputs[0]],
    )
