"""Command line of the benchmark; ``python -m evaluation.benchmark --help``."""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys

from evaluation.benchmark import items as item_sources
from evaluation.benchmark import run, systems, table
from models.errors import SongbridgeError
from models.registry import Registry, default_registry

EXAMPLES = """examples:
  python -m evaluation.benchmark --corpus data/corpus --split test --converters all --out results/bench
  python -m evaluation.benchmark --corpus data/corpus --converters world-s2s --set world-s2s.mode=dur --out r
  python -m evaluation.benchmark --real --converters all --out results/real
  python -m evaluation.benchmark --external outputs/ --out results/external
"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m evaluation.benchmark",
        description=__import__("evaluation.benchmark", fromlist=["__doc__"]).__doc__,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--corpus", help="corpus folder (or its manifest.jsonl)")
    parser.add_argument("--split", default="test", choices=("train", "valid", "test"))
    parser.add_argument(
        "--real",
        nargs="?",
        const=item_sources.REAL_VOICE_MANIFEST,
        help="also run the real-voice set (default: evaluation/real_voice/manifest.jsonl), reference-free",
    )
    parser.add_argument(
        "--external", metavar="ROOT", help="score outside systems' outputs laid out under ROOT"
    )
    parser.add_argument(
        "--converters",
        default="all",
        help="'all' (every available one), 'none', or a,b,c; a row with its own options: "
        "'world-sts[reference_use=guide vocal]'",
    )
    parser.add_argument(
        "--melody",
        default="notes",
        choices=("notes", "reference"),
        help="what speech→singing converters sing: the item's notes, or its true singing as a reference "
        "recording (its F0 contour, the papers' setting; notes where there is no true singing)",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME.FIELD=VALUE",
        help="a converter option, e.g. world-s2s.mode=dur (repeatable); the rest keep their defaults",
    )
    parser.add_argument(
        "--vocoders",
        default="hifigan,griffinlim",
        help="vocoders of the ceiling rows ('none' for no ceiling)",
    )
    parser.add_argument(
        "--ppg",
        default="bundled",
        metavar="CHECKPOINT",
        help="phoneme recognizer of the 'PER (ppg)' column: 'bundled' (models/checkpoints/ppg.pt), a "
        "checkpoint path, or 'none'",
    )
    parser.add_argument(
        "--checkpoint",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="score converter NAME with the checkpoint at PATH instead of its bundled one (repeatable), "
        "e.g. parekh-mtl=runs/p-mtl/parekh-p-mtl.pt; NAME@TAG=PATH adds a row NAME@TAG (list it in --converters)",
    )
    parser.add_argument("--rtf-runs", type=int, default=5, help="timed runs per RTF (0 skips RTF)")
    parser.add_argument("--limit", type=int, help="score only the first N items of each set")
    parser.add_argument("--out", required=True, help="folder for results.csv and table.md")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    if not (args.corpus or args.real or args.external):
        parser.error("give --corpus DIR, --real and/or --external ROOT")
    return args


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


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        registry = with_checkpoints(default_registry(), args.checkpoint)
    except (ValueError, SongbridgeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
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
        print(f"error: {error}", file=sys.stderr)
        return 2

    try:
        phone_recognizer = load_phone_recognizer(args.ppg)
    except SongbridgeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    rows, rtf, pools, problems = [], {}, [], []
    if args.corpus:
        corpus = item_sources.corpus_items(args.corpus, split=args.split, limit=args.limit)
        references = [
            s for task in systems.SCORED_TASKS for s in systems.reference_systems(task, vocoder_names)
        ]
        pools.append((f"corpus {args.split}", corpus, converters + references))
    if args.real:
        if not os.path.isfile(args.real):
            print(
                f"error: no real-voice manifest at {args.real} (it is committed with the real-voice set)",
                file=sys.stderr,
            )
            return 2
        real = item_sources.real_items(args.real, limit=args.limit)
        floor = [
            s
            for task in systems.SCORED_TASKS
            for s in systems.reference_systems(task, [])
            if s.kind == "floor"
        ]
        pools.append(("real voices", real, converters + floor))
    for set_name, items, rows_systems in pools:
        if not items:
            print(f"note: {set_name} has no items", file=sys.stderr)
            continue
        rows += run.run_set(
            set_name=set_name,
            items=items,
            systems=rows_systems,
            progress=not args.quiet,
            phone_recognizer=phone_recognizer,
        )
        for system in rows_systems:
            if system.name not in rtf and system.standard is not None and args.rtf_runs > 0:
                if not args.quiet:
                    print(f"RTF of {system.name} ({args.rtf_runs} runs) …", file=sys.stderr, flush=True)
                rtf[system.name] = run.standard_rtf(system, items, args.rtf_runs)
    if args.external:
        try:
            external, names_found, problems = item_sources.external_items(args.external)
        except FileNotFoundError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        for problem in problems:
            print(f"note: {problem}", file=sys.stderr)
        rows += run.run_external(
            items=external[: args.limit],
            systems=names_found,
            progress=not args.quiet,
            phone_recognizer=phone_recognizer,
        )

    csv_path, md_path, text = table.write(rows, rtf, args.out, rtf_runs=args.rtf_runs, problems=problems)
    print(text)
    print(f"wrote {csv_path} and {md_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
