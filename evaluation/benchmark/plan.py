"""What a benchmark run scores, built from its command line: the registry (with ``--checkpoint`` swaps),
the converter rows, the phone recognizer and the sets (name, items, systems). Built the same way in the
command's process and, for ``--engine dask``, once in each worker process from the same arguments."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass

from evaluation.benchmark import items as item_sources
from evaluation.benchmark import systems
from models.errors import SongbridgeError
from models.registry import Registry, default_registry


class PlanError(SongbridgeError):
    """The command line names something that cannot be scored (the message says what)."""


@dataclass
class Plan:
    pools: list[tuple[str, list, list]]  # (set name, items, systems)
    phone_recognizer: object | None


def load_phone_recognizer(choice: str):
    """The recognizer behind 'PER (ppg)', or None for 'none' (the column is then left out)."""
    if choice == "none":
        return None
    from models.ppg.recognizer import DEFAULT_CHECKPOINT, PhoneRecognizer

    return PhoneRecognizer.from_checkpoint(DEFAULT_CHECKPOINT if choice == "bundled" else choice)


def with_checkpoints(registry: Registry, pairs: list[str]) -> Registry:
    """``registry`` with each ``NAME=PATH`` converter's checkpoint replaced by the file at PATH; a
    ``NAME@TAG=PATH`` adds a row ``NAME@TAG`` beside NAME instead (old and new checkpoints in one table)."""
    replaced, added = {}, []
    for pair in pairs:
        name, sep, path = pair.partition("=")
        if not sep or not name or not path:
            raise ValueError(
                f"--checkpoint {pair!r}: write NAME=PATH, e.g. parekh-mtl=runs/x/parekh-p-mtl.pt"
            )
        base, at, tag = name.strip().partition("@")
        spec = registry.spec(base)
        if spec.checkpoint is None:
            raise ValueError(f"--checkpoint {pair!r}: {spec.name} takes no checkpoint")
        if not os.path.isfile(path):
            raise ValueError(f"--checkpoint {pair!r}: no file at {path}")
        if at and not tag:
            raise ValueError(f"--checkpoint {pair!r}: name the added row after the @, e.g. {base}@old=PATH")
        changed = dataclasses.replace(spec, checkpoint=os.path.abspath(path))
        if at:
            added.append(dataclasses.replace(changed, name=f"{base}@{tag}"))
        else:
            replaced[spec.name] = changed
    if not (replaced or added):
        return registry
    return Registry([replaced.get(name, registry.spec(name)) for name in registry.names()] + added)


def build(args) -> Plan:
    """The sets and systems of a run (``args`` from ``parse_args``)."""
    try:
        registry = with_checkpoints(default_registry(), args.checkpoint)
    except (ValueError, SongbridgeError) as error:
        raise PlanError(str(error)) from None
    scored = [n for task in systems.SCORED_TASKS for n in registry.names(task=task, available_only=True)]
    if args.converters == "all":
        names = scored
    elif args.converters == "none":
        names = []
    else:
        names = [n.strip() for n in args.converters.split(",") if n.strip()]
    vocoder_names = (
        [] if args.vocoders == "none" else [v.strip() for v in args.vocoders.split(",") if v.strip()]
    )
    try:
        converters = systems.converter_systems(
            registry, names, systems.parse_settings(args.set), melody_source=args.melody
        )
    except ValueError as error:
        raise PlanError(str(error)) from None
    phone_recognizer = load_phone_recognizer(args.ppg)
    pools = []
    if args.corpus:
        corpus = item_sources.corpus_items(args.corpus, split=args.split, limit=args.limit)
        references = [
            s for task in systems.SCORED_TASKS for s in systems.reference_systems(task, vocoder_names)
        ]
        pools.append((f"corpus {args.split}", corpus, converters + references))
    if args.real:
        if not os.path.isfile(args.real):
            raise PlanError(
                f"no real-voice manifest at {args.real} (it is committed with the real-voice set)"
            )
        real = item_sources.real_items(args.real, limit=args.limit)
        floor = [
            s
            for task in systems.SCORED_TASKS
            for s in systems.reference_systems(task, [])
            if s.kind == "floor"
        ]
        pools.append(("real voices", real, converters + floor))
    return Plan(pools=pools, phone_recognizer=phone_recognizer)
