"""One conversion as the demo runs it: load the converter (timed), convert, name and save the output.

The converter tabs, the Compare tab and the example builder all go through :func:`run_conversion`, so
what a cached example shows is what pressing Convert gives.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from dataclasses import dataclass, field, fields

import numpy as np

from models.base import ConversionResult, ProgressFn
from models.features import Audio
from models.registry import Registry


@dataclass
class Conversion:
    """A finished conversion with what the UI says about it."""

    converter: str
    input_audio: Audio
    result: ConversionResult
    #: seconds spent loading the converter (0 when it was already loaded)
    load_seconds: float
    #: short words naming the melody and the non-default settings, for file names and labels
    settings: list[str] = field(default_factory=list)
    input_name: str = "input"

    @property
    def total_seconds(self) -> float:
        return self.load_seconds + self.result.total_seconds

    @property
    def rtf(self) -> float:
        """Seconds of work per second of audio, counted on the input where the output is shorter (a
        singing→speech output of 0.26 s from 1 s of singing is not a slow conversion of 0.26 s)."""
        seconds = max(self.input_audio.duration, self.result.audio.duration, 1e-9)
        return self.result.total_seconds / seconds

    @property
    def made_by(self) -> str:
        """What made this output, in words: 'world-sts · Twinkle, Twinkle · transpose −5 on my-voice'."""
        return " · ".join([self.converter, *self.settings]) + f" on {self.input_name}"

    def timings_line(self) -> str:
        stages = dict(self.result.timings)
        if self.load_seconds >= 0.005:  # a converter with nothing to load takes microseconds
            stages = {"model loading": self.load_seconds, **stages}
        listed = " · ".join(f"{name} {seconds:.2f} s" for name, seconds in stages.items())
        return (
            f"{listed}  \n**{self.input_audio.duration:.2f} s in → {self.result.audio.duration:.2f} s out in "
            f"{self.total_seconds:.2f} s — real-time factor {self.rtf:.2f}** (per second of the longer of input "
            "and output, loading not counted)"
        )

    def report(self) -> str:
        """The notes the converter left, then the timings."""
        notes = "\n".join(f"- {note}" for note in self.result.notes)
        return (notes + "\n\n" if notes else "") + self.timings_line()


def setting_words(options, melody_values: dict | None) -> list[str]:
    """The melody and every option that differs from its default, as short words."""
    words = []
    if melody_values:
        source = melody_values.get("melody_source")
        words.append(melody_values.get("tune") if source == "Built-in tune" else str(source).lower())
        if int(melody_values.get("transpose") or 0):
            words.append(f"transpose {int(melody_values['transpose']):+d}")
        if float(melody_values.get("tempo") or 1.0) != 1.0:
            words.append(f"tempo ×{float(melody_values['tempo']):g}")
    if options is not None:
        defaults = type(options)()
        for f in fields(options):
            value = getattr(options, f.name)
            if value != getattr(defaults, f.name) and value != "":
                shown = value if not isinstance(value, str) or len(value) <= 20 else value[:17] + "…"
                words.append(f"{f.name.replace('_', ' ')} {shown}")
    return words


def run_conversion(
    registry: Registry,
    name: str,
    audio: Audio,
    *,
    melody=None,
    options=None,
    settings: list[str] | None = None,
    input_name: str = "input",
    progress: ProgressFn | None = None,
) -> Conversion:
    """Load ``name`` (if not loaded yet, timed) and convert ``audio``; errors propagate unchanged."""
    from models import vocoders

    start = time.perf_counter()
    loaded = registry.is_loaded(name)
    if not loaded and progress is not None:
        progress(0.0, "loading the model")
    converter = registry.get(name)
    # HiFi-GAN loads on first use, inside a converter's vocoder stage: load it here, so that its loading
    # counts as model loading (outside the real-time factor) like the converter's own
    if (
        getattr(options or converter.Options(), "vocoder", None) == "hifigan"
        and not vocoders.hifigan.cache_info().currsize
    ):
        loaded = False
        if progress is not None:
            progress(0.0, "loading HiFi-GAN")
        vocoders.hifigan()
    load_seconds = 0.0 if loaded else time.perf_counter() - start
    result = converter.convert(audio, melody=melody, options=options, progress=progress)
    return Conversion(name, audio, result, load_seconds, list(settings or []), input_name)


def slug(text: str, limit: int = 64) -> str:
    """Lower-case letters and digits joined by single dashes: safe in a file name and an element id."""
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:limit].strip("-")


def output_file_name(conversion: Conversion, extension: str = "wav") -> str:
    """``my-voice_world-sts_twinkle-twinkle-little-star_transpose-5_3f2a9c.wav``: input, converter and
    settings, then a short random part so two runs never share a file."""
    parts = [slug(conversion.input_name, 32) or "input", slug(conversion.converter, 32)]
    parts += [slug(word, 32) for word in conversion.settings]
    stem = "_".join(p for p in parts if p)[:120]
    return f"{stem}_{uuid.uuid4().hex[:6]}.{extension}"  # every part slugged: no path can come of a name


def write_output(conversion: Conversion, directory: str) -> str:
    """Save the output as 16-bit WAV (a file path keeps Gradio from re-normalising the level)."""
    import soundfile

    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, output_file_name(conversion))
    audio = conversion.result.audio
    soundfile.write(path, np.clip(audio.samples, -1.0, 1.0), audio.sr, subtype="PCM_16")
    return path


def input_name(path: str | None) -> str:
    """The name a user gave their file, without Gradio's upload folder or the extension."""
    return os.path.splitext(os.path.basename(path or "input"))[0] or "input"
