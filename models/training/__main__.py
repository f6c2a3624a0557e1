"""Train a learned converter on a corpus manifest; rerun the same command to resume.

python -m models.training parekh --corpus DIR --variant p-mtl [--minutes 45] [--steps N] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import sys

from models.errors import SongbridgeError
from models.training.loop import TrainConfig, train


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m models.training", description=__doc__.split("\n")[0])
    parser.add_argument("model", choices=["parekh"])
    parser.add_argument("--corpus", required=True, help="corpus folder with manifest.jsonl")
    parser.add_argument("--variant", default="p-mtl")
    parser.add_argument("--out", default="runs", help="state, log and checkpoint folder (default runs/)")
    parser.add_argument("--cache", default="runs/cache", help="feature cache folder")
    parser.add_argument("--steps", type=int, default=14000, help="the paper's 14 epochs × 1000 iterations")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--minutes", type=float, default=45.0, help="wall-time budget of this run (0: none)")
    parser.add_argument("--lr", type=float, default=0.002, help="Adam learning rate (the paper: 0.002)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)
    try:
        from models.parekh.train import VARIANTS, make_task

        if args.variant not in VARIANTS:
            parser.error(f"--variant must be one of {', '.join(VARIANTS)}")
        task = make_task(args.variant, args.corpus, cache_dir=args.cache)
        cfg = TrainConfig(
            steps=args.steps,
            batch=args.batch,
            lr=args.lr,
            seed=args.seed,
            minutes=args.minutes or None,
            threads=args.threads,
        )
        print(json.dumps(train(task, cfg, out=args.out), indent=1))
    except SongbridgeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
