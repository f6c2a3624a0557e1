"""The tab machinery every converter uses: input, options, output audio, plot, timings, errors.

A tab is built from registry names alone; the converter is loaded on its first conversion.
"""

from __future__ import annotations

import logging
import os
import uuid
from dataclasses import dataclass, field

import gradio as gr
import numpy as np

from demo.admission import admission
from demo.controls import build_controls, options_from_values
from demo.melody_input import build_melody_inputs, melody_from_inputs
from demo.plots import conversion_figure
from models.base import ConversionResult
from models.errors import SongbridgeError
from models.features import ACCEPTED, AudioLimits, load_audio
from models.registry import Registry

log = logging.getLogger(__name__)

EXAMPLES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")


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


def example_files(prefix: str) -> list[str]:
    """Bundled example inputs whose file name starts with ``prefix`` (``speech_`` or ``singing_``)."""
    if not os.path.isdir(EXAMPLES_DIR):
        return []
    return sorted(os.path.join(EXAMPLES_DIR, f) for f in os.listdir(EXAMPLES_DIR) if f.startswith(prefix))


def timings_line(result: ConversionResult) -> str:
    stages = " · ".join(f"{name} {seconds:.2f} s" for name, seconds in result.timings.items())
    return (
        f"{stages}  \n**total {result.total_seconds:.2f} s for {result.audio.duration:.2f} s of output — "
        f"real-time factor {result.rtf:.2f}**"
    )


def write_output(result: ConversionResult, directory: str, name: str) -> str:
    """Save the output as 16-bit WAV (a file path keeps Gradio from re-normalising the level)."""
    import soundfile

    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, f"{name}-{uuid.uuid4().hex[:10]}.wav")
    soundfile.write(path, np.clip(result.audio.samples, -1.0, 1.0), result.audio.sr, subtype="PCM_16")
    return path


def converter_tab(services: DemoServices, names: list[str], *, title: str, intro: str, examples: str) -> None:
    """One tab for the converters ``names`` (variants of one family, sharing one Options class)."""
    registry = services.registry
    specs = [registry.spec(n) for n in names]
    available = [s.name for s in specs if s.available]
    options_cls = registry.options_class(names[0])
    slug = names[0].replace("-", "_")

    with gr.Tab(title, id=slug):
        size = f", files up to {services.max_upload_mb:g} MB" if services.max_upload_mb else ""
        gr.Markdown(
            f"{intro}\n\nInputs up to **{services.limits.max_seconds:.0f} s** ({ACCEPTED}{size}); "
            "longer recordings are refused."
        )
        if not available:
            gr.Markdown("**Not available:** " + "; ".join(f"`{s.name}` has no checkpoint" for s in specs))
        with gr.Row():
            with gr.Column():
                audio_in = gr.Audio(sources=["upload", "microphone"], type="filepath", label="Input voice")
                variant = gr.Radio(
                    choices=available or names,
                    value=(available or names)[0],
                    label="Variant",
                    visible=len(names) > 1,
                    info="; ".join(f"{s.name}: {s.description}" for s in specs),
                )
                needs_melody = registry.needs_melody(names[0])
                melody_controls = build_melody_inputs() if needs_melody else {}
                option_names, option_controls = build_controls(options_cls)
                run = gr.Button("Convert", variant="primary")
                files = example_files(examples)
                if files:
                    gr.Examples(examples=[[f] for f in files], inputs=[audio_in], label="Bundled examples")
            with gr.Column():
                audio_out = gr.Audio(type="filepath", label="Output", interactive=False, buttons=["download"])
                previous = gr.Audio(type="filepath", label="Previous output (to compare)", interactive=False)
                timings = gr.Markdown()
                plot = gr.Plot(label="Mel spectrograms with F0")
        last_output = gr.State(None)

        # Melody and option controls are passed by name, so the API names its parameters after them
        # (``tune``, ``vibrato_rate_hz``, …) rather than ``param_3``; the order stays the UI's.
        named_controls = {**melody_controls, **dict(zip(option_names, option_controls, strict=True))}

        def convert(audio_path, variant_name, last, progress=gr.Progress(), **values):  # noqa: B008 - Gradio's idiom
            if not audio_path:
                raise gr.Error("Upload or record a voice first.")
            options = options_from_values(options_cls, option_names, [values[n] for n in option_names])
            try:
                audio = load_audio(audio_path, limits=services.limits)
                melody = (
                    melody_from_inputs(**{n: values[n] for n in melody_controls}, limits=services.limits)
                    if melody_controls
                    else None
                )
                converter = registry.get(variant_name)
                result = converter.convert(
                    audio, melody=melody, options=options, progress=lambda f, desc: progress(f, desc=desc)
                )
            except SongbridgeError as error:
                raise gr.Error(str(error)) from None
            except Exception as error:
                log.exception("conversion with %s failed", variant_name)
                raise gr.Error(
                    f"The conversion failed unexpectedly ({type(error).__name__}). Try another recording; "
                    "if it happens again, report it with the recording."
                ) from None
            path = write_output(result, services.output_dir, variant_name)
            if last and not os.path.isfile(last):  # deleted meanwhile as an old output (demo/storage.py)
                last = None
            line = timings_line(result)
            if result.notes:
                line = "\n".join(f"- {note}" for note in result.notes) + "\n\n" + line
            return path, last, line, conversion_figure(result), path

        run.click(
            convert,
            inputs=[audio_in, variant, last_output],
            inputs_kwargs=named_controls,
            outputs=[audio_out, previous, timings, plot, last_output],
            api_name=f"convert_{slug}",
            concurrency_limit=services.conversion_concurrency,
            concurrency_id="conversion",
            validator=admission("conversion"),
        )
