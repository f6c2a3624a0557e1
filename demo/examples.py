"""The demo's examples: one click sets a tab's voice, melody and settings together and shows an output
computed ahead of time.

Outputs are computed by ``python -m demo.examples`` (rerun it after changing a converter, a checkpoint or
an example) and committed under ``examples/cached/<converter>/``, each with what made it: the input's
and checkpoint's hashes, the settings, the timings of the run and the target pitch curve. A test
(tests/test_examples.py) finds any that is missing or stale.
"""

from __future__ import annotations

import functools
import glob
import hashlib
import json
import os
import shutil
import sys
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from demo.conversion import Conversion, run_conversion, setting_words
from models.base import ConversionResult, Task, analysed_result, make_options, option_fields
from models.corpus.manifest import sha256_file
from models.features import AudioLimits, F0Track, load_audio
from models.hifigan_runtimes import resolve_runtime
from models.registry import CHECKPOINT_DIR, ConverterSpec, Registry
from models.vocoders import hifigan_weights_path, resolve_precision

EXAMPLES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")
CACHE_DIR = os.path.join(EXAMPLES_DIR, "cached")
MODELS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "models")


def _melody(source: str = "Built-in tune", *, tune: str = "Twinkle, Twinkle, Little Star", **values) -> dict:
    """Every melody control's value (demo.melody_input's names), with the given ones changed."""
    from demo.melody_input import FOLLOW

    return {
        "melody_source": source,
        "tune": tune,
        "note_text": "",
        "midi_file": None,
        "reference_recording": None,
        "reference_mode": FOLLOW,
        "transpose": 0,
        "tempo": 1.0,
        **values,
    }


@dataclass(frozen=True)
class Example:
    key: str
    label: str
    #: a file in examples/
    voice: str
    #: the melody controls' values (speech → singing only); file values name files in examples/
    melody: dict[str, Any] | None = None
    #: option values; those a converter does not have are left out for it
    options: dict[str, Any] = field(default_factory=dict)


EXAMPLES: dict[Task, tuple[Example, ...]] = {
    Task.SPEECH_TO_SINGING: (
        Example(
            "slt-twinkle",
            "Female speaker · Twinkle, Twinkle",
            "speech_arctic_slt_a0009.wav",
            _melody(),
            {"lyrics": "he turned sharply and faced gregson across the table"},
        ),
        Example(
            "awb-ode",
            "Male speaker · Ode to Joy · transpose −5",
            "speech_arctic_awb_a0007.wav",
            _melody(tune="Ode to Joy (Beethoven)", transpose=-5),
        ),
        Example(
            "pjs-guide",
            "Japanese singer's speech · her real sung take as the reference",
            "speech_pjs026.flac",
            _melody("Reference recording", reference_recording="singing_pjs026.flac"),
            {"reference_use": "guide vocal"},
        ),
    ),
    Task.SINGING_TO_SPEECH: (
        Example("pjs-song", "Real singing · Japanese singer (PJS corpus)", "singing_pjs026.flac"),
        Example("slt-sung", "Machine-sung English · female (WORLD rendering)", "singing_world_arctic_slt_a0009.wav"),
    ),
    Task.STYLE: (
        Example("pjs-song", "Real singing · Japanese singer", "singing_pjs026.flac", None, {"strength": 1}),
        Example("slt-speech", "Speech · female speaker", "speech_arctic_slt_a0009.wav", None, {"strength": 0.5}),
    ),
    Task.RESYNTHESIS: (
        Example("slt-speech", "Speech · female speaker", "speech_arctic_slt_a0009.wav"),
        Example("pjs-song", "Real singing · Japanese singer (PJS corpus)", "singing_pjs026.flac"),
    ),
}  # fmt: skip


@dataclass(frozen=True)
class ExampleRow:
    """One row of a tab's examples: an example run by one converter of the tab."""

    example: Example
    converter: str
    label: str

    @property
    def cache_stem(self) -> str:
        return os.path.join(CACHE_DIR, self.converter, self.example.key)


#: how an example's option reads in its label, for the converters that have the option
OPTION_WORDS = {
    "lyrics": lambda value: "with lyrics",
    "reference_use": lambda value: str(value),
    "strength": lambda value: f"style strength {value:g}",
}


def tab_rows(specs: list[ConverterSpec], registry: Registry) -> list[ExampleRow]:
    """The examples of a tab whose available converters are ``specs`` (none: no rows): each example once,
    the variants taking turns so every variant is shown; a label names only the options its converter has."""
    if not specs:
        return []
    rows = []
    for i, example in enumerate(EXAMPLES.get(specs[0].task, ())):
        spec = specs[i % len(specs)]
        has = {f.name for f in option_fields(registry.options_class(spec.name))}
        words = [OPTION_WORDS[k](v) for k, v in example.options.items() if k in has and k in OPTION_WORDS]
        if len(specs) > 1:
            words.append(spec.name)
        rows.append(ExampleRow(example, spec.name, " · ".join([example.label, *words])))
    return rows


def example_path(name: str | None) -> str | None:
    return None if name is None else os.path.join(EXAMPLES_DIR, name)


def melody_values(example: Example) -> dict[str, Any] | None:
    """The melody controls' values with file names made paths."""
    if example.melody is None:
        return None
    values = dict(example.melody)
    for key in ("midi_file", "reference_recording"):
        values[key] = example_path(values[key])
    return values


def option_values(example: Example, options_cls: type) -> dict[str, Any]:
    """Every option of ``options_cls`` at its default, with the example's values for those it has."""
    return {f.name: example.options.get(f.name, f.default) for f in option_fields(options_cls)}


@functools.lru_cache(maxsize=64)
def _hash(path: str, mtime_ns: int, size: int) -> str:
    return sha256_file(path)


def file_hash(path: str) -> str:
    """sha256 of a file, computed once per version of it (the demo checks every row at start)."""
    stat = os.stat(path)
    return _hash(path, stat.st_mtime_ns, stat.st_size)


TRAINING_DIRS = ("corpus" + os.sep, "training" + os.sep)
TRAINING_MODULES = ("train.py", "augment.py")


def code_hash() -> str:
    """One hash of every module a conversion can run (models/, but the corpus builder, the training loop and
    each package's training-only modules): a converter, the melody code (its tunes) or a signal setting
    changed makes every output stale; a change to how a model is trained does not, until its checkpoint
    changes (which is hashed on its own)."""
    digest = hashlib.sha256()
    for path in sorted(glob.glob(os.path.join(MODELS_DIR, "**", "*.py"), recursive=True)):
        relative = os.path.relpath(path, MODELS_DIR)
        if not relative.startswith(TRAINING_DIRS) and os.path.basename(path) not in TRAINING_MODULES:
            digest.update(relative.encode() + b"\0" + file_hash(path).encode())
    return digest.hexdigest()


def provenance(row: ExampleRow, registry: Registry) -> dict[str, Any]:
    """What makes a cached output: the files it was made from (inputs, its checkpoint, the weights shared by
    every converter), the code, and the settings."""
    spec = registry.spec(row.converter)
    files = [
        row.example.voice,
        *(v for k, v in (row.example.melody or {}).items() if k.endswith(("_file", "_recording")) and v),
    ]
    shared = {"hifigan": hifigan_weights_path(), "ppg": os.path.join(CHECKPOINT_DIR, "ppg.pt")}
    return {
        "converter": row.converter,
        "example": row.example.key,
        "inputs": {name: file_hash(example_path(name)) for name in files},
        "checkpoint": file_hash(spec.checkpoint_path) if spec.checkpoint_path else None,
        "shared_weights": {k: file_hash(p) if os.path.isfile(p) else None for k, p in shared.items()},
        "code": code_hash(),
        "melody": row.example.melody,
        "options": option_values(row.example, registry.options_class(row.converter)),
    }


def convert_example(row: ExampleRow, registry: Registry, *, limits: AudioLimits | None = None) -> Conversion:
    """Run the row's conversion exactly as the tab's Convert button does."""
    from demo.melody_input import melody_from_inputs

    limits = limits or AudioLimits()
    example = row.example
    options_cls = registry.options_class(row.converter)
    options = make_options(options_cls, option_values(example, options_cls))
    values = melody_values(example)
    melody = melody_from_inputs(**values, limits=limits) if values is not None else None
    audio = load_audio(example_path(example.voice), limits=limits)
    return run_conversion(
        registry,
        row.converter,
        audio,
        melody=melody,
        options=options,
        settings=setting_words(options, values),
        input_name=os.path.splitext(example.voice)[0],
    )


def save_cached(row: ExampleRow, conversion: Conversion, registry: Registry) -> None:
    import soundfile

    os.makedirs(os.path.dirname(row.cache_stem), exist_ok=True)
    audio = conversion.result.audio
    soundfile.write(row.cache_stem + ".flac", np.clip(audio.samples, -1.0, 1.0), audio.sr, subtype="PCM_16")
    target = conversion.result.target_f0
    record = {
        **provenance(row, registry),
        "made_by": conversion.made_by,
        "settings": conversion.settings,
        "input_name": conversion.input_name,
        "load_seconds": round(conversion.load_seconds, 3),
        "timings": {k: round(v, 3) for k, v in conversion.result.timings.items()},
        "notes": conversion.result.notes,
        "target_f0": None if target is None else _track_record(target),
        # not part of the provenance: bf16 is picked by the CPU, and a vocoded example moves within its noise
        "hifigan_precision": resolve_precision(),
        "hifigan_runtime": resolve_runtime(),
    }
    with open(row.cache_stem + ".json", "w", encoding="utf-8") as f:
        json.dump(record, f, indent=1, ensure_ascii=False)


def _track_record(track: F0Track) -> dict[str, Any]:
    start = float(track.times[0]) if len(track.times) else 0.0
    return {"hop_s": track.hop_s, "start_s": start, "hz": [round(float(h), 1) for h in track.hz]}


def load_cached(row: ExampleRow, *, limits: AudioLimits | None = None) -> tuple[Conversion, str]:
    """The stored conversion of ``row`` (its plot re-analysed from the stored audio) and the audio's path."""
    from models.features import to_rate

    with open(row.cache_stem + ".json", encoding="utf-8") as f:
        record = json.load(f)
    path = row.cache_stem + ".flac"
    output = load_audio(path)
    source = load_audio(example_path(row.example.voice), limits=limits or AudioLimits())
    target = None
    if record["target_f0"] is not None:
        hz = np.asarray(record["target_f0"]["hz"], dtype=np.float64)
        times = record["target_f0"]["start_s"] + record["target_f0"]["hop_s"] * np.arange(len(hz))
        target = F0Track(times, hz)
    result: ConversionResult = analysed_result(to_rate(source, output.sr), output, target_f0=target)
    result.timings = dict(record["timings"])
    result.notes = list(record["notes"])
    conversion = Conversion(
        row.converter, source, result, record["load_seconds"], record["settings"], record["input_name"]
    )
    return conversion, path


def stale_reason(row: ExampleRow, registry: Registry) -> str | None:
    """Why the cached output of ``row`` no longer shows what Convert would give, or None when it does."""
    stem = row.cache_stem
    if not (os.path.isfile(stem + ".json") and os.path.isfile(stem + ".flac")):
        return f"{row.converter}/{row.example.key}: not computed"
    with open(stem + ".json", encoding="utf-8") as f:
        record = json.load(f)
    wanted = provenance(row, registry)
    changed = [key for key, value in wanted.items() if record.get(key) != value]
    return f"{row.converter}/{row.example.key}: {', '.join(changed)} changed" if changed else None


def all_rows(registry: Registry) -> list[ExampleRow]:
    return [
        row
        for task in registry.tasks()
        for specs in registry.tabs(task).values()
        if any(s.available for s in specs)
        for row in tab_rows([s for s in specs if s.available], registry)
    ]


def build(registry: Registry, *, only_stale: bool = True) -> list[str]:
    """Compute (or recompute) the cached outputs; returns what was computed."""
    done = []
    for row in all_rows(registry):
        reason = stale_reason(row, registry)
        if only_stale and reason is None:
            continue
        conversion = convert_example(row, registry)
        save_cached(row, conversion, registry)
        done.append(
            f"{reason or f'{row.converter}/{row.example.key}: rebuilt'} → {conversion.result.audio.duration:.1f} s"
        )
        print(done[-1], flush=True)
    return done


def main(argv: list[str] | None = None) -> int:
    """``python -m demo.examples [--all | --check]``: compute the stale cached examples (all with --all);
    --check only lists stale ones and exits 1 if any."""
    from models.registry import default_registry

    argv = sys.argv[1:] if argv is None else argv
    registry = default_registry()
    if "--check" in argv:
        stale = [r for r in (stale_reason(row, registry) for row in all_rows(registry)) if r]
        print("\n".join(stale) or "every cached example is current")
        return 1 if stale else 0
    if "--all" in argv:
        shutil.rmtree(CACHE_DIR, ignore_errors=True)
    build(registry, only_stale="--all" not in argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
