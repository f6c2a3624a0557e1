"""Run the rows of a benchmark over items and score every output; one CSV row per item × system."""

from __future__ import annotations

import functools
import math
import sys
import time

from evaluation.benchmark.items import Item, _load
from evaluation.benchmark.rtf import measure_rtf
from evaluation.benchmark.scoring import METRICS, reference_of, score, source_of
from evaluation.benchmark.systems import System
from evaluation.engine import EngineError, run_tasks
from models.base import Task
from models.errors import SongbridgeError
from models.features import Audio


def _bar(total: int, desc: str, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="output", file=sys.stderr, disable=not enabled, leave=False)


def _row(
    set_name: str, system: str, kind: str, task: Task, item: Item, output: Audio | None, seconds: float
) -> dict:
    duration = output.duration if output is not None else math.nan
    return {
        "set": set_name,
        "task": task.value,
        "system": system,
        "kind": kind,
        "item": item.id,
        "output_s": duration,
        "seconds": seconds,
        "rtf_item": seconds / duration if duration and seconds == seconds else math.nan,
        "error": "",
        **dict.fromkeys(METRICS, math.nan),
    }


def _usable(item: Item, system: System) -> bool:
    if system.kind == "converter":
        return source_of(item, system.task) is not None
    return reference_of(item, system.task) is not None


def standard_rtf(system: System, items: list[Item], runs: int) -> float:
    """RTF of ``system`` on the standard input built from the first item that has what it needs."""
    if system.standard is None or runs < 1:
        return math.nan
    for item in items:
        if _usable(item, system):
            try:
                return measure_rtf(run=lambda item=item: system.standard(item), runs=runs)
            except Exception as error:  # a timing that cannot run must not lose the scored table
                print(f"RTF of {system.name} not measured: {error!r}", file=sys.stderr)
                return math.nan
    return math.nan


def score_item(*, set_name: str, system: System, item: Item, phone_recognizer=None) -> dict | None:
    """One row: ``system`` on ``item``, scored; a failing conversion is a row with its ``error``; None
    when the system makes nothing for the item."""
    start = time.perf_counter()
    try:
        output = system.produce(item)
    except Exception as error:  # one failing item must not lose a long run: record why
        row = _row(set_name, system.name, system.kind, system.task, item, None, math.nan)
        row["error"] = str(error) if isinstance(error, SongbridgeError) else repr(error)
        return row
    seconds = time.perf_counter() - start
    if output is None:
        return None
    row = _row(set_name, system.name, system.kind, system.task, item, output, seconds)
    if system.kind != "converter":
        row["rtf_item"] = math.nan  # reference rows are not systems being timed
    given = item.reference_melody() if system.melody_source == "reference" else None
    row.update(
        score(
            task=system.task, output=output, item=item, phone_recognizer=phone_recognizer, given_melody=given
        )
    )
    return row


@functools.lru_cache(maxsize=2)
def _worker_plan(argv: tuple[str, ...]):
    """A Dask worker's sets, systems and recognizer: built once per worker process from the command line."""
    from evaluation.benchmark.__main__ import parse_args
    from evaluation.benchmark.plan import build

    return build(parse_args(list(argv)))


def score_task(argv: tuple[str, ...], set_index: int, system_index: int, item_index: int) -> dict | None:
    """:func:`score_item` on a worker, the system and item named by their places in the run's plan."""
    built = _worker_plan(argv)
    set_name, items, systems = built.pools[set_index]
    return score_item(
        set_name=set_name, system=systems[system_index], item=items[item_index],
        phone_recognizer=built.phone_recognizer,
    )  # fmt: skip


def run_set(
    *, set_name: str, items: list[Item], systems: list[System], progress: bool = True, phone_recognizer=None,
    engine: str = "local", workers: int = 2, scheduler: str | None = None, recipe: tuple | None = None,
) -> list[dict]:  # fmt: skip
    """Every system over every item it applies to, in that order. ``engine="dask"`` scores on a Dask
    cluster: ``recipe`` is (the command line, this set's place in the plan), from which each worker
    builds the same systems and items."""
    pairs = [(s, system, i, item) for s, system in enumerate(systems) for i, item in enumerate(items)]
    if engine == "local":
        tasks = [(set_name, system, item) for _, system, _, item in pairs]
        fn = lambda set_name, system, item: score_item(  # noqa: E731
            set_name=set_name, system=system, item=item, phone_recognizer=phone_recognizer
        )
    else:
        if recipe is None:
            raise ValueError("run_set on an engine needs the run's recipe (command line, set index)")
        argv, set_index = recipe
        tasks = [(argv, set_index, s, i) for s, _, i, _ in pairs]
        fn = score_task
    rows = []
    with _bar(len(pairs), set_name, progress) as bar:
        results = run_tasks(fn, tasks, engine=engine, workers=workers, scheduler=scheduler)
        try:
            for (_, system, _, item), row in zip(pairs, results, strict=True):
                bar.set_postfix_str(f"{system.name[:28]} · {item.id}")
                if row is not None and (row["system"], row["item"]) != (system.name, item.id):
                    # a worker whose plan differs from ours (other converters available, other files)
                    raise EngineError(
                        f"a worker scored {row['system']} on {row['item']} where {system.name} on {item.id} was "
                        "asked: its converters or corpus differ from this machine's"
                    )
                if row is not None:
                    if row["error"]:
                        bar.write(f"{system.name} failed on {item.id}: {row['error']}", file=sys.stderr)
                    rows.append(row)
                bar.update()
        finally:
            results.close()
    return rows


def run_external(
    *, items: list[Item], systems: list[str], progress: bool = True, phone_recognizer=None
) -> list[dict]:
    """Score outside systems' outputs; an item with a melody is speech→singing, without singing→speech."""
    rows = []
    with _bar(sum(len(item.outputs) for item in items), "external", progress) as bar:
        for system in systems:
            for item in items:
                if system not in item.outputs:
                    continue
                task = Task.SPEECH_TO_SINGING if item.notes else Task.SINGING_TO_SPEECH
                try:
                    output = _load(item.outputs[system])
                except SongbridgeError as error:
                    row = _row("external", system, "external", task, item, None, math.nan)
                    row["error"] = f"{item.outputs[system]}: {error}"
                    bar.write(f"{system} on {item.id}: {row['error']}", file=sys.stderr)
                else:
                    row = _row("external", system, "external", task, item, output, math.nan)
                    row.update(score(task=task, output=output, item=item, phone_recognizer=phone_recognizer))
                rows.append(row)
                bar.update()
    return rows
