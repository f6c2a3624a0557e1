"""A study's ``stimuli.generate`` block: run registered converters over per-item inputs and write
their outputs in the shared folder layout, which :mod:`evaluation.listening.stimuli` then imports."""

from __future__ import annotations

import functools
import os
import shutil

import soundfile

from evaluation.engine import EngineError, run_tasks
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


@functools.lru_cache(maxsize=1)
def _worker_registry():
    """The registry a Dask worker converts with (built once per worker process)."""
    from models.registry import default_registry

    return default_registry()


def convert_item(name: str, values: dict, source: str, melody: str | None, registry=None) -> tuple:
    """One output: ``("ok", samples, sr, seconds)`` or ``("error", message)`` (a converter's refusal
    travels back as text: the study file's error names the item). ``registry`` None: the default one."""
    registry = registry or _worker_registry()
    try:
        options = make_options(registry.options_class(name), values)
        result = registry.get(name).convert(
            load_audio(source), melody=_melody(melody) if melody else None, options=options
        )
    except SongbridgeError as error:
        return ("error", str(error))
    return ("ok", result.audio.samples, result.audio.sr, result.total_seconds)


def generate(
    *, study: Study, registry, log=print, engine: str = "local", workers: int = 2, scheduler=None
) -> str:
    """Convert every item with every converter; returns the folder written (``study.folder``). On
    ``engine="dask"`` the conversions run on a Dask cluster's workers (with the default registry) and come
    back here to be written: the files are those of the local run."""
    gen = study.generate
    root = gen.output
    tasks, outputs = [], []  # what to convert, and (converter, item) of each
    for name, values in gen.converters.items():
        try:
            make_options(registry.options_class(name), values)
            needs_melody = registry.needs_melody(name)
        except (SongbridgeError, ValueError) as error:
            raise StudyError(f"stimuli.generate.converters.{name}: {error}") from None
        for item, files in gen.items.items():
            if needs_melody and "melody" not in files:
                raise StudyError(f"stimuli.generate.items.{item}: {name} needs a melody: file")
            tasks.append((name, values, files["source"], files["melody"] if needs_melody else None))
            outputs.append((name, item))
    convert = functools.partial(convert_item, registry=registry) if engine == "local" else convert_item
    results = run_tasks(convert, tasks, engine=engine, workers=workers, scheduler=scheduler)
    try:
        for (name, item), result in zip(outputs, results, strict=True):
            if result[0] == "error":
                raise StudyError(f"stimuli.generate.items.{item} with {name}: {result[1]}")
            _, samples, sr, seconds = result
            os.makedirs(os.path.join(root, name), exist_ok=True)
            soundfile.write(os.path.join(root, name, f"{item}.wav"), samples, sr)
            log(f"{name} {item}: {len(samples) / sr:.1f} s in {seconds:.1f} s")
    except EngineError as error:
        raise StudyError(f"stimuli.generate: {error}") from None
    finally:
        results.close()  # stops a cluster started for the run, also after a refused item
    for item, files in gen.items.items():
        context = os.path.join(root, "_context", item)
        os.makedirs(context, exist_ok=True)
        shutil.copyfile(files["source"], os.path.join(context, "source.wav"))
        if "melody" in files:
            ext = os.path.splitext(files["melody"])[1]
            shutil.copyfile(files["melody"], os.path.join(context, "melody" + ext))
    return root
