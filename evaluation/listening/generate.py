"""A study's ``stimuli.generate`` block: run registered converters over per-item inputs and write
their outputs in the shared folder layout, which :mod:`evaluation.listening.stimuli` then imports."""

from __future__ import annotations

import os
import shutil

import soundfile

from evaluation.listening.study import Study, StudyError
from models.base import make_options
from models.errors import SongbridgeError
from models.features import load_audio


def _melody(path: str):
    from models.melody import from_midi, from_recording, parse_note_text

    if path.endswith(".mid"):
        return from_midi(path)
    if path.endswith(".txt"):
        with open(path, encoding="utf-8") as f:
            return parse_note_text(f.read(), name=os.path.basename(path))
    return from_recording(load_audio(path))


def generate(*, study: Study, registry, log=print) -> str:
    """Convert every item with every converter; returns the folder written (``study.folder``)."""
    gen = study.generate
    root = gen.output
    for name, values in gen.converters.items():
        try:
            options = make_options(registry.options_class(name), values)
            needs_melody = registry.needs_melody(name)
        except (SongbridgeError, ValueError) as error:
            raise StudyError(f"stimuli.generate.converters.{name}: {error}") from None
        converter = registry.get(name)
        for item, files in gen.items.items():
            if needs_melody and "melody" not in files:
                raise StudyError(f"stimuli.generate.items.{item}: {name} needs a melody: file")
            try:
                source = load_audio(files["source"])
                melody = _melody(files["melody"]) if needs_melody else None
                result = converter.convert(source, melody=melody, options=options)
            except SongbridgeError as error:
                raise StudyError(f"stimuli.generate.items.{item} with {name}: {error}") from None
            os.makedirs(os.path.join(root, name), exist_ok=True)
            soundfile.write(os.path.join(root, name, f"{item}.wav"), result.audio.samples, result.audio.sr)
            log(f"{name} {item}: {result.audio.duration:.1f} s in {result.total_seconds:.1f} s")
    for item, files in gen.items.items():
        context = os.path.join(root, "_context", item)
        os.makedirs(context, exist_ok=True)
        shutil.copyfile(files["source"], os.path.join(context, "source.wav"))
        if "melody" in files:
            ext = os.path.splitext(files["melody"])[1]
            shutil.copyfile(files["melody"], os.path.join(context, "melody" + ext))
    return root
