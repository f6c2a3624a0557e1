"""The command line every real-corpus loader shares: ``--root DIR --out DIR [--seed N] [--quiet]``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from models.errors import SongbridgeError


def run_loader(
    argv: list[str] | None, *, prog: str, corpus: str, layout: str, build: Callable[..., object]
) -> int:
    """Parse the shared options, call ``build(root, out, seed=, progress=)`` and print its report's
    ``summary()``; a :class:`SongbridgeError` is printed as one line and exits 2."""
    parser = argparse.ArgumentParser(prog=prog, description=f"Build the {corpus} paired manifest.")
    parser.add_argument("--root", required=True, help=f"the {corpus} folder ({layout})")
    parser.add_argument("--out", required=True, help="output folder for speech/, singing/, manifest.jsonl")
    parser.add_argument("--seed", type=int, default=0, help="seed of the song split (default 0)")
    parser.add_argument("--quiet", action="store_true", help="no per-song progress lines")
    args = parser.parse_args(argv)
    try:
        report = build(args.root, args.out, seed=args.seed, progress=not args.quiet)
    except SongbridgeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(report.summary())
    return 0
