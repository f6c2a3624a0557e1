"""Compare mode's logic, free of any component: every available converter of one task on one input, each
with its default options, one after another, scored without a reference recording
(:mod:`evaluation.reference_free`). demo/compare_tab.py wires it into the tab; tests call it directly.

Every task but resynthesis with at least one available converter is offered. A task with one converter
(Voice style, for now) is still worth a card: its reference-free scores and real-time factor are shown
nowhere else, and a second converter appears beside it without a change here. Resynthesis is left out:
the vocoder check is the ceiling every converter lives under, not a conversion one chooses. One
converter's failure is said in its card while the others still run.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import gradio as gr

from demo.conversion import Conversion, input_name, run_conversion, write_output
from demo.converter_tab import DemoServices
from evaluation.reference_free import SCORES, describe, reference_free_scores, unavailable_scores
from models.base import Audio, Task, make_options
from models.errors import SongbridgeError
from models.features import load_audio
from models.melody import Melody
from models.registry import Registry

log = logging.getLogger(__name__)

#: the scores shown as columns of the summary table, in this order (the others are in the cards)
SUMMARY_SCORES = ("pitch_accuracy", "speaker_similarity", "dnsmos_ovrl", "voiced_fraction", "f0_range_st")
LEGEND = "↑ higher is better, ↓ lower is better, – descriptive"
WAITING = "*Waiting: press **Compare**.*"
QUEUED = "*Waiting for its turn in this comparison…*"


def task_label(task: Task) -> str:
    return task.title


def compare_tasks(registry: Registry) -> list[Task]:
    """The tasks the tab offers: every one but resynthesis with at least one available converter."""
    return [t for t in Task if t is not Task.RESYNTHESIS and registry.names(task=t, available_only=True)]


def as_task(task: Task | str) -> Task:
    """A Task from itself, its name (``"SPEECH_TO_SINGING"``, what the tab's API takes) or its value."""
    if isinstance(task, Task):
        return task
    for candidate in Task:
        if task in (candidate.name, candidate.value, task_label(candidate)):
            return candidate
    raise gr.Error(f"Unknown task {task!r}; choose one of: {', '.join(t.name for t in Task)}.")


def needs_melody(registry: Registry, task: Task) -> bool:
    """Whether the task's converters are given a melody (speech → singing)."""
    return any(registry.needs_melody(n) for n in registry.names(task=task))


@dataclass
class Card:
    """One converter's outcome in a comparison."""

    name: str
    title: str
    description: str
    status: str = "waiting"  # "waiting", "done" or "failed"
    #: the finished conversion: result, load time, timings (demo.conversion, as every tab runs it)
    conversion: Conversion | None = None
    output_path: str | None = None
    scores: dict[str, float] = field(default_factory=dict)
    score_seconds: float = 0.0
    score_error: str | None = None
    error: str | None = None

    def markdown(self) -> str:
        """Timings with the real-time factor (as the converter tabs say them), scores, and the converter's
        notes; or its error."""
        if self.status == "waiting":
            return WAITING
        if self.status == "failed":
            return f"**✗ Failed:** {self.error}"
        assert self.conversion is not None
        lines = [
            self.conversion.timings_line(),
            "",
            f"**Scores** without a reference recording ({LEGEND}; computed in {self.score_seconds:.2f} s):",
        ]
        lines += [f"- {describe(key, value)}" for key, value in self.scores.items()]
        if self.score_error:
            lines.append(f"- {self.score_error}")
        if self.conversion.result.notes:
            lines += ["", *(f"*{note}*" for note in self.conversion.result.notes)]
        return "\n".join(lines)


@dataclass
class ComparisonPlan:
    """What a comparison will run, checked before anything runs."""

    task: Task
    source: Audio
    melody: Melody | None
    names: list[str]
    #: converters of the task without their checkpoint
    unavailable: list[str]
    #: the input's file name, for the outputs' names
    input_name: str = "input"
    #: words naming the melody, for the outputs' names
    settings: list[str] = field(default_factory=list)


def plan_comparison(
    services: DemoServices,
    task: Task | str,
    audio_path: str | None,
    melody: Melody | None = None,
    *,
    names: list[str] | None = None,
    settings: list[str] | None = None,
) -> ComparisonPlan:
    """Check the whole run's inputs; raises ``gr.Error`` with an actionable sentence before anything runs.

    ``names`` limits the run to some of the task's available converters (all of them by default);
    ``settings`` are words naming the melody in the output files' names (its name by default)."""
    registry = services.registry
    task = as_task(task)
    if not audio_path:
        raise gr.Error("Upload or record a voice first (or click an example), then press Compare.")
    available = registry.names(task=task, available_only=True)
    if not available:
        raise gr.Error(f"No {task_label(task)} converter is available; choose another task.")
    if names is not None:
        unknown = [n for n in names if n not in available]
        if unknown:
            raise gr.Error(
                f"{', '.join(unknown)}: not an available {task_label(task)} converter; "
                f"choose from {', '.join(available)}."
            )
        available = [n for n in available if n in names]
    if needs_melody(registry, task):
        if melody is None:
            raise gr.Error(
                "Choose a melody to sing: a built-in tune, note text, a MIDI file or a reference recording."
            )
        try:
            melody = melody.validate()
        except SongbridgeError as error:
            raise gr.Error(str(error)) from None
    else:
        melody = None
    try:
        source = load_audio(audio_path, limits=services.limits)
    except SongbridgeError as error:
        raise gr.Error(str(error)) from None
    unavailable = [n for n in registry.names(task=task) if n not in registry.names(available_only=True)]
    if settings is None:
        settings = [melody.name] if melody is not None else []
    return ComparisonPlan(task, source, melody, available, unavailable, input_name(audio_path), settings)


def _convert(services: DemoServices, plan: ComparisonPlan, card: Card, report: Callable[[float, str], None]):
    """Load (timed) and run one converter with its default options, save its output; fills ``card``."""
    registry = services.registry
    try:
        options = make_options(registry.options_class(card.name))
        card.conversion = run_conversion(
            registry,
            card.name,
            plan.source,
            melody=plan.melody if registry.needs_melody(card.name) else None,
            options=options,
            settings=plan.settings,
            input_name=plan.input_name,
            progress=report,
        )
        card.output_path = write_output(card.conversion, services.output_dir)
        card.status = "done"
    except SongbridgeError as error:
        card.status, card.error = "failed", str(error)
    except Exception as error:
        log.exception("comparison: conversion with %s failed", card.name)
        card.status = "failed"
        card.error = (
            f"The conversion failed unexpectedly ({type(error).__name__}). The other converters still ran; "
            "if it happens again, report it with the recording."
        )


def _score(plan: ComparisonPlan, card: Card, *, learned: bool, source_embedding) -> None:
    start = time.perf_counter()
    try:
        card.scores = reference_free_scores(
            card.conversion.result.audio,
            source=plan.source,
            melody=plan.melody,
            speech_like=plan.task is Task.SINGING_TO_SPEECH,
            learned=learned,
            source_embedding=source_embedding,
        )
    except Exception as error:
        log.exception("comparison: scoring %s failed", card.name)
        card.score_error = f"The scores could not be computed ({type(error).__name__})."
    card.score_seconds = time.perf_counter() - start


def run_plan(
    services: DemoServices,
    plan: ComparisonPlan,
    *,
    learned_scores: bool = True,
    progress: Callable[[float, str], None] | None = None,
) -> Iterator[list[Card]]:
    """Run the plan's converters one after another; yields every card after each converter finishes
    (the same list, the finished card filled in). ``progress(fraction, words)`` hears "converter k of n"."""
    registry = services.registry
    cards = [Card(n, registry.spec(n).title, registry.spec(n).description) for n in plan.names]
    n = len(cards)
    source_embedding = None
    for k, card in enumerate(cards):
        where = f"converter {k + 1} of {n} ({card.name})"

        def report(fraction: float, stage: str, k=k, where=where) -> None:
            if progress is not None:
                progress((k + min(max(float(fraction), 0.0), 1.0)) / n, f"{where}: {stage}")

        report(0.0, "starting")
        _convert(services, plan, card, report)
        if card.status == "done":
            report(1.0, "scoring")
            if (
                learned_scores
                and source_embedding is None
                and "speaker_similarity" not in unavailable_scores()
            ):
                start = time.perf_counter()
                try:  # the input's voice, embedded once for every card's speaker similarity
                    from evaluation.speaker import speaker_embedding

                    source_embedding = speaker_embedding(audio=plan.source)
                except Exception:
                    log.exception("comparison: embedding the input failed")
                embedding_seconds = time.perf_counter() - start
            else:
                embedding_seconds = 0.0
            _score(plan, card, learned=learned_scores, source_embedding=source_embedding)
            card.score_seconds += embedding_seconds
        yield cards
    if progress is not None:
        progress(1.0, f"{n} of {n} converters done")


def run_comparison(
    services: DemoServices,
    task: Task | str,
    audio_path: str | None,
    melody: Melody | None = None,
    *,
    names: list[str] | None = None,
    learned_scores: bool = True,
    progress: Callable[[float, str], None] | None = None,
) -> Iterator[list[Card]]:
    """Compare the task's available converters (or ``names``) on one recording, each with its default
    options: :func:`plan_comparison` (its ``gr.Error`` comes on the first ``next``), then
    :func:`run_plan`, which yields the cards after each converter finishes."""
    plan = plan_comparison(services, task, audio_path, melody, names=names)
    yield from run_plan(services, plan, learned_scores=learned_scores, progress=progress)


def summary_markdown(plan: ComparisonPlan, cards: list[Card]) -> str:
    """How far the run is, and a table of the finished converters: timings, real-time factor, main scores."""
    done = [c for c in cards if c.status != "waiting"]
    header = f"**{len(done)} of {len(cards)} converters done** on {plan.source.duration:.2f} s of input."
    if plan.unavailable:
        header += f" Not available (no checkpoint): {', '.join(plan.unavailable)}."
    missing = unavailable_scores()
    if missing:
        header += " Left out: " + "; ".join(f"{SCORES[k].label} ({why})" for k, why in missing.items()) + "."
    if not done:
        return header
    keys = [k for k in SUMMARY_SCORES if any(k in c.scores for c in done)]
    columns = [
        "converter",
        "total s",
        "output s",
        "real-time factor per s of the longer side (↓)",
        *(f"{SCORES[k].label} ({SCORES[k].arrow})" for k in keys),
    ]
    rows = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for card in done:
        conversion = card.conversion
        if conversion is None:
            rows.append(f"| `{card.name}` | failed |" + " |" * (len(columns) - 2))
            continue
        values = [
            f"{conversion.total_seconds:.2f}",
            f"{conversion.result.audio.duration:.2f}",
            f"{conversion.rtf:.2f}",
            *(_cell(k, card.scores.get(k)) for k in keys),
        ]
        rows.append(f"| `{card.name}` | " + " | ".join(values) + " |")
    return header + "\n\n" + "\n".join(rows)


def _cell(key: str, value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    return format(value, SCORES[key].fmt)
