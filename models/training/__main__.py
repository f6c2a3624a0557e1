"""Train a learned converter on a corpus; rerun the same command to resume.

python -m models.training parekh --corpus DIR --variant p-mtl [--minutes 45] [--steps N] [--out DIR]
python -m models.training vae_style --corpus DIR | --pairs DIR [--name NAME] [--minutes 45]

Each model's trainer module (``TRAINERS``, from the converter registry) provides ``add_arguments(parser)``
for its own options and ``make_task(args)`` returning a :class:`~models.training.loop.TrainTask`; the loop
options are shared.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys

from models.errors import SongbridgeError
from models.registry import default_registry
from models.training.loop import TrainConfig, train

#: model name → trainer module (imported only when chosen): each learned converter's, as its registry entry
#: declares it (models/converters.py), the phoneme recognizer that AlignSTS reads speech with, and the
#: Vocos-style vocoder
TRAINERS = {**default_registry().trainers(), "ppg": "models.ppg.train", "vocos": "models.vocos.train"}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m models.training", description=__doc__.split("\n")[0])
    parser.add_argument("model", choices=sorted(TRAINERS))
    parser.add_argument("--out", default="runs", help="state, log and checkpoint folder (default runs/)")
    parser.add_argument("--steps", type=int, default=None, help="step limit (default: the model's)")
    parser.add_argument("--batch", type=int, default=None, help="batch size (default: the model's)")
    parser.add_argument("--minutes", type=float, default=45.0, help="wall-time budget of this run (0: none)")
    parser.add_argument("--lr", type=float, default=None, help="Adam learning rate (default: the model's)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None)
    # the model's own options, known once the model is: parse the name first
    known, _ = parser.parse_known_args(argv[:1] if argv and not argv[0].startswith("-") else argv)
    trainer = importlib.import_module(TRAINERS[known.model])
    trainer.add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        task, defaults = trainer.make_task(args)
        cfg = TrainConfig(
            **{
                **defaults,
                **{k: getattr(args, k) for k in ("steps", "batch", "lr") if getattr(args, k) is not None},
            },
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
