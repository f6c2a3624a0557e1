"""``python -m evaluation.tables.alignsts``: AlignSTS checkpoints (ablations) and other converters on one split.

Each system converts every item's speech to its notes (HiFi-GAN for AlignSTS; each registry converter
with its default options) and is scored against the true singing: LSD of the ICASSP 2020 code, raw
chroma and raw pitch accuracy of the re-tracked output, phone error rate of the bundled recognizer
against the spoken phones ("PER (ppg)") and AlignSTS's rhythm distance (evaluation.metrics). The floors
of ARCHITECTURE.md are scored too. ``--real`` scores the real-voice set reference-free (RPA, RCA, PER).
Writes ``<out>/<name>.csv`` and ``<out>/<name>_table.md``.
"""

from __future__ import annotations

import argparse
import os

import torch

from evaluation.benchmark.items import Item, corpus_items, real_items
from evaluation.benchmark.scoring import known_phones
from evaluation.floors import sine_at_notes, stretched_input
from evaluation.metrics import lsd_icassp, note_pitch_accuracy, rhythm_distance
from models.base import Audio

METRICS = (("lsd_icassp", "LSD (icassp) ↓"), ("rca", "RCA ↑"), ("rpa", "RPA ↑"), ("per", "PER (ppg) ↓"),
           ("rhythm", "rhythm dist. ↓"))  # fmt: skip


def score(audio: Audio, item: Item) -> dict:
    from evaluation.intelligibility import phone_error_rate
    from models.ppg.recognizer import load_default

    rpa, rca = note_pitch_accuracy(audio, item.notes)
    reference = item.singing if item.singing_is_reference else None
    phones = known_phones(item)
    return {
        "lsd_icassp": lsd_icassp(reference, audio) if reference else float("nan"),
        "rpa": rpa,
        "rca": rca,
        "per": phone_error_rate(hypothesis=load_default().recognize_phones(audio), reference=phones)
        if phones
        else float("nan"),
        "rhythm": rhythm_distance(reference, audio) if reference else float("nan"),
    }


def systems(runs: list[str], converters: list[str]):
    """(name, steps, converter) of each ``NAME=checkpoint`` in ``runs`` and each registry name."""
    from models.alignsts.converter import AlignSTSConverter
    from models.registry import default_registry

    for run in runs:
        name, path = run.split("=", 1)
        converter = AlignSTSConverter(path)
        yield name, converter.train_info.get("steps"), converter
    registry = default_registry()
    for name in converters:
        converter = registry.get(name)
        yield name, getattr(converter, "train_info", {}).get("steps"), converter


@torch.inference_mode()
def run(items: list[Item], runs: list[str], converters: list[str], *, floors: bool):
    import pandas as pd

    rows = []
    for name, steps, converter in systems(runs, converters):
        for item in items:
            output = converter.convert(item.speech, melody=item.melody).audio
            rows.append({"system": name, "item": item.id, "steps": steps, **score(output, item)})
        print(f"{name}: {len(items)} items scored", flush=True)
    if floors:
        for item in items:
            n = len(item.singing.samples)
            for name, audio in (
                ("input speech, uniformly stretched (floor)", stretched_input(item.speech, n)),
                (
                    "sine at the notes (floor)",
                    sine_at_notes([(x.midi, x.onset, x.duration) for x in item.notes], n, item.singing.sr),
                ),
            ):
                rows.append({"system": name, "item": item.id, "steps": None, **score(audio, item)})
    return pd.DataFrame(rows)


def markdown(frame, *, title: str) -> str:
    from evaluation.benchmark.table import _cell, mean_ci

    lines = [
        f"### {title} (mean ± 95 % CI)",
        "",
        "| System | steps × 16 | " + " | ".join(label for _, label in METRICS) + " | n |",
        "|---|---|" + "---|" * len(METRICS) + "---|",
    ]
    for system, group in frame.groupby("system", sort=False):
        cells = [_cell(*mean_ci(group[m])[:2]) for m, _ in METRICS]
        steps = group["steps"].iloc[0]
        steps = "—" if steps is None or steps != steps else f"{int(steps):,}"
        lines.append(f"| {system} | {steps} | {' | '.join(cells)} | {len(group)} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", help="corpus folder (not needed with --real)")
    parser.add_argument("--split", default="test")
    parser.add_argument("--run", action="append", default=[], help="NAME=checkpoint of an AlignSTS run")
    parser.add_argument("--converters", default="", help="registry converters to score beside them: a,b,c")
    parser.add_argument("--limit", type=int, default=None, help="score only the first N items")
    parser.add_argument("--real", action="store_true", help="the real-voice set, reference-free, instead")
    parser.add_argument(
        "--no-floors", action="store_true", help="leave out the floor rows (scored elsewhere)"
    )
    parser.add_argument("--name", default="table", help="file name stem of the outputs")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    if not args.real and not args.corpus:
        parser.error("--corpus is needed (or --real)")
    items = (
        real_items(limit=args.limit)
        if args.real
        else corpus_items(args.corpus, split=args.split, limit=args.limit)
    )
    converters = [c for c in args.converters.split(",") if c]
    frame = run(items, args.run, converters, floors=not (args.real or args.no_floors))
    os.makedirs(args.out, exist_ok=True)
    frame.to_csv(os.path.join(args.out, f"{args.name}.csv"), index=False)
    where = "the real-voice set (reference-free)" if args.real else f"the corpus {args.split} split"
    table = markdown(frame, title=f"AlignSTS on {where}")
    with open(os.path.join(args.out, f"{args.name}_table.md"), "w", encoding="utf-8") as f:
        f.write(table)
    print(table)


if __name__ == "__main__":
    main()
