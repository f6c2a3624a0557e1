"""The rows of a benchmark table: registered converters, and the reference rows that bound them.

Ceiling (like the ICASSP 2020 paper's autoencoder row): the true target analysed and resynthesized by each
vocoder. Floors (evaluation/floors.py, ARCHITECTURE.md "Trained means trained"): the input uniformly
stretched to the target's length (speech→singing: the input speech; singing→speech: the input singing),
or to the melody's length where there is no true target; for speech→singing also a sine at the notes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from evaluation import floors
from evaluation.benchmark.items import Item
from evaluation.benchmark.rtf import INPUT_SECONDS, SPEECH_SECONDS, standard_melody, tiled
from evaluation.benchmark.scoring import reference_of, source_of
from models import vocoders
from models.base import Task, make_options
from models.features import Audio
from models.registry import Registry

SCORED_TASKS = (Task.SPEECH_TO_SINGING, Task.SINGING_TO_SPEECH)


@dataclass
class System:
    name: str
    kind: str  # "converter", "ceiling" or "floor"
    task: Task
    #: the output for an item, or None where the item lacks what this row needs
    produce: Callable[[Item], Audio | None]
    #: the same work on the standard RTF input built from an item; None: no RTF (floors)
    standard: Callable[[Item], Audio] | None = None
    #: what a speech→singing converter row sings: the item's notes or its singing as a reference recording
    melody_source: str = "notes"


def parse_settings(pairs: list[str]) -> dict[str, dict[str, str]]:
    """``["world-s2s.mode=dur", …]`` → ``{"world-s2s": {"mode": "dur"}}``."""
    out: dict[str, dict[str, str]] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        name, dot, field = key.rpartition(".")
        if not sep or not dot or not name or not field:
            raise ValueError(f"--set {pair!r}: write converter.field=value, e.g. world-s2s.mode=dur")
        out.setdefault(name, {})[field] = value
    return out


MELODY_SOURCES = ("notes", "reference")


def split_variant(row: str) -> tuple[str, dict[str, str]]:
    """``"world-sts[reference_use=guide vocal]"`` → ``("world-sts", {"reference_use": "guide vocal"})``:
    a row of a converter with some options set, named as written (``;`` separates several)."""
    name, bracket, rest = row.partition("[")
    if not bracket:
        return row, {}
    if not rest.endswith("]"):
        raise ValueError(
            f"--converters {row!r}: close the options with ']', e.g. world-sts[auto_octave=false]"
        )
    settings = {}
    for pair in filter(None, (p.strip() for p in rest[:-1].split(";"))):
        field, sep, value = pair.partition("=")
        if not sep or not field.strip():
            raise ValueError(f"--converters {row!r}: write name[field=value;field=value]")
        settings[field.strip()] = value.strip()
    return name.strip(), settings


def converter_systems(
    registry: Registry, names: list[str], settings: dict[str, dict[str, str]], *, melody_source: str = "notes"
) -> list[System]:
    """One row per named converter, its Options from ``settings`` over its defaults; a row written
    ``name[field=value;…]`` adds its own settings over those. ``melody_source`` "reference" gives every
    speech→singing converter the true singing as a reference recording (its F0 contour) instead of the
    notes, where an item has a true singing."""
    if melody_source not in MELODY_SOURCES:
        raise ValueError(f"--melody {melody_source!r}: use one of {', '.join(MELODY_SOURCES)}")
    bases = {split_variant(row)[0] for row in names}
    unknown = sorted(set(settings) - bases)
    if unknown:
        raise ValueError(f"--set names converter(s) not being run: {', '.join(unknown)}")
    systems = []
    for row in names:
        name, own = split_variant(row)
        spec = registry.spec(name)
        if spec.task not in SCORED_TASKS:
            raise ValueError(
                f"{name} is a {spec.task.value} converter; the benchmark scores only "
                "speech→singing and singing→speech"
            )
        options = make_options(registry.options_class(name), {**settings.get(name, {}), **own})
        label = (
            row if melody_source == "notes" or spec.task != Task.SPEECH_TO_SINGING else f"{row} ← reference"
        )
        systems.append(
            _converter(registry, name, spec.task, options, label=label, melody_source=melody_source)
        )
    return systems


def _converter(
    registry: Registry,
    name: str,
    task: Task,
    options,
    *,
    label: str | None = None,
    melody_source: str = "notes",
) -> System:
    def produce(item: Item) -> Audio | None:
        source = source_of(item, task)
        if source is None or (task == Task.SPEECH_TO_SINGING and not item.notes):
            return None
        melody = None
        if task == Task.SPEECH_TO_SINGING:
            melody = item.reference_melody() if melody_source == "reference" else item.melody
        return registry.get(name).convert(source, melody=melody, options=options).audio

    def standard(item: Item) -> Audio:
        if task == Task.SPEECH_TO_SINGING and melody_source == "reference":
            return produce(item)  # a reference must sing the item's words: timed on the item's own pair
        if task == Task.SPEECH_TO_SINGING:
            speech = tiled(item.speech, SPEECH_SECONDS)
            return registry.get(name).convert(speech, melody=standard_melody(), options=options).audio
        return registry.get(name).convert(tiled(item.singing, INPUT_SECONDS), options=options).audio

    return System(label or name, "converter", task, produce, standard, melody_source=melody_source)


def reference_systems(task: Task, vocoder_names: list[str]) -> list[System]:
    """Ceiling rows (true target through each vocoder) and the floor row for ``task``."""
    target = "singing" if task == Task.SPEECH_TO_SINGING else "speech"
    systems = []
    for vocoder_name in vocoder_names:
        vocoder = vocoders.mel_vocoder(vocoder_name)

        def produce(item: Item, vocoder=vocoder) -> Audio | None:
            reference = reference_of(item, task)
            return None if reference is None else vocoders.copy_synthesis(reference, vocoder)

        def standard(item: Item, vocoder=vocoder) -> Audio:
            return vocoders.copy_synthesis(tiled(reference_of(item, task), INPUT_SECONDS), vocoder)

        systems.append(
            System(f"true {target} via {vocoder_name} (ceiling)", "ceiling", task, produce, standard)
        )

    def sine(item: Item) -> Audio | None:
        reference = reference_of(item, task)
        if not item.notes:
            return None
        sr = reference.sr if reference is not None else item.speech.sr
        seconds = reference.duration if reference is not None else item.melody.duration
        return floors.sine_at_notes(
            [(n.midi, n.onset, n.duration) for n in item.notes], int(round(seconds * sr)), sr
        )

    def stretched(item: Item) -> Audio | None:
        source, reference = source_of(item, task), reference_of(item, task)
        if source is None:
            return None
        if reference is not None:
            n = int(round(reference.duration * source.sr))
        elif task == Task.SPEECH_TO_SINGING and item.notes:
            n = int(round(item.melody.duration * source.sr))
        else:
            return source  # nothing to stretch to: the input as it is
        return floors.stretched_input(source, n)

    source_name = "speech" if task == Task.SPEECH_TO_SINGING else "singing"
    systems.append(System(f"input {source_name}, uniformly stretched (floor)", "floor", task, stretched))
    if task == Task.SPEECH_TO_SINGING:
        systems.append(System("sine at the notes (floor)", "floor", task, sine))
    return systems
