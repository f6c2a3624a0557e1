"""Command line of the benchmark; ``python -m evaluation.benchmark --help``."""

from __future__ import annotations

import argparse
import sys

from evaluation import engine
from evaluation.benchmark import items as item_sources
from evaluation.benchmark import plan, run, table
from models.errors import SongbridgeError

EXAMPLES = """examples:
  python -m evaluation.benchmark --corpus data/corpus --split test --converters all --out results/bench
  python -m evaluation.benchmark --corpus data/corpus --converters world-s2s --set world-s2s.mode=dur --out r
  python -m evaluation.benchmark --real --converters all --out results/real
  python -m evaluation.benchmark --external outputs/ --out results/external
  python -m evaluation.benchmark --corpus data/corpus --converters all --engine dask --workers 2 --out r
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
    engine.add_arguments(parser)  # the scored rows on Dask (every worker needs the corpus at the same path)
    args = parser.parse_args(argv)
    if not (args.corpus or args.real or args.external):
        parser.error("give --corpus DIR, --real and/or --external ROOT")
    return args


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    try:
        built = plan.build(args)
    except SongbridgeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    rows, rtf, problems = [], {}, []
    for index, (set_name, items, rows_systems) in enumerate(built.pools):
        if not items:
            print(f"note: {set_name} has no items", file=sys.stderr)
            continue
        try:
            rows += run.run_set(
                set_name=set_name,
                items=items,
                systems=rows_systems,
                progress=not args.quiet,
                phone_recognizer=built.phone_recognizer,
                engine=args.engine,
                workers=args.workers,
                scheduler=args.scheduler,
                recipe=(tuple(argv), index),
            )
        except SongbridgeError as error:  # the engine, or a worker that could not build the run's plan
            print(f"error: {error}", file=sys.stderr)
            return 2
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
            phone_recognizer=built.phone_recognizer,
        )

    csv_path, md_path, text = table.write(rows, rtf, args.out, rtf_runs=args.rtf_runs, problems=problems)
    print(text)
    print(f"wrote {csv_path} and {md_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
