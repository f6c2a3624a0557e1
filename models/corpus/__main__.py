"""Command line of the corpus tools (what a built corpus holds: ``python -m evaluation.tables.corpus_stats``).

python -m models.corpus build --out DIR --hours H --seed S [--pairs N] [--workers W]
python -m models.corpus nus48e --root NUS-48E --out DIR
python -m models.corpus pjs --root ../shared/data/pjs --out DIR
"""

from __future__ import annotations

import argparse
import sys

from models.errors import SongbridgeError


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["nus48e"]:  # its own parser (models.corpus.nus48e) reads the rest
        from models.corpus import nus48e

        return nus48e.main(argv[1:])
    if argv[:1] == ["pjs"]:  # its own parser (models.corpus.pjs) reads the rest
        from models.corpus import pjs

        return pjs.main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m models.corpus", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("build", help="generate (or resume) the synthetic paired corpus")
    make.add_argument("--out", required=True, help="corpus folder (an existing one is resumed)")
    size = make.add_mutually_exclusive_group()
    size.add_argument(
        "--hours", type=float, default=1.0, help="paired audio to make, speech + singing (default 1)"
    )
    size.add_argument("--pairs", type=int, help="number of pairs instead of --hours")
    make.add_argument("--seed", type=int, default=0)
    make.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    commands.add_parser("nus48e", help="cut NUS-48E into the same manifest (--root DIR --out DIR)")
    commands.add_parser("pjs", help="the PJS real speech/singing pairs into the same manifest (--root --out)")
    args = parser.parse_args(argv)
    try:
        if args.command == "build":
            from models.corpus.build import build, pairs_for_hours

            n = args.pairs if args.pairs is not None else pairs_for_hours(args.hours)
            done = build(out=args.out, n_pairs=n, seed=args.seed, workers=args.workers)
            print(
                f"{done.pairs} pairs ({done.dropped} dropped), {done.hours:.2f} h, {done.wall_s:.0f} s; "
                f"manifest sha256 {done.manifest_sha256}"
            )
    except SongbridgeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
