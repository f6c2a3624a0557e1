"""``python -m evaluation.tables.parekh``: the paper's Table 1 for our runs — every variant on a corpus split.

Each checkpoint ``<runs>/parekh-<variant>.pt`` gets the inputs it was trained on (stretched speech,
phone-synced speech or, for the autoencoder, the singing itself) and, as in the paper's evaluation, the
melody image of the true sung F0. Its prediction goes through Griffin-Lim (|S|^1.2, 32 iterations) and is
scored against the true singing: LSD of the paper's code, raw chroma and raw pitch accuracy of the
re-tracked output (evaluation.metrics). Floors as in ARCHITECTURE.md: the uniformly stretched input
speech and a sine at the note pitches. Writes ``variants.csv`` and ``variants_table.md`` under ``--out``.
``--real`` scores the real-voice set instead, reference-free (RCA and RPA of each variant that takes
speech alone: PhSync needs sung phone labels and the autoencoder the singing), through the converter.
The cheap measures only: the bundled variants' full benchmark (intelligibility, speaker) is
``python -m evaluation.benchmark``.
"""

from __future__ import annotations

import argparse
import os

import numpy as np
import torch

from evaluation.floors import sine_at_notes, stretched_input
from evaluation.metrics import lsd_icassp, note_pitch_accuracy
from models.base import Audio, load_checkpoint
from models.corpus.manifest import audio_path, read_manifest
from models.features import load_audio
from models.melody import Note
from models.parekh.converter import GL_POWER
from models.parekh.data import SPEC, load_split, melody_image
from models.parekh.model import ParekhConfig, ParekhSTS
from models.parekh.train import VARIANTS
from models.vocoders import GriffinLim

GL_ITERATIONS = 32


def load_model(path: str) -> tuple[ParekhSTS, dict]:
    checkpoint = load_checkpoint(path, model="parekh", feature_spec=SPEC)
    model = ParekhSTS(ParekhConfig(**checkpoint.config["model"]))
    model.load_state_dict(checkpoint.state_dict, strict=True)
    return model.eval(), {**checkpoint.config, **checkpoint.train}


def score(audio: Audio, reference: Audio, notes: list[Note]) -> dict:
    rpa, rca = note_pitch_accuracy(audio, notes)
    return {"lsd_icassp": lsd_icassp(reference, audio), "rpa": rpa, "rca": rca}


@torch.inference_mode()
def run(corpus: str, runs: str, variants: list[str], *, split: str, limit: int | None, cache: str | None):
    import pandas as pd

    pairs = read_manifest(corpus, split=split)[:limit]
    vocoder = GriffinLim(spec=SPEC, n_iter=GL_ITERATIONS, power=GL_POWER)
    references = [load_audio(audio_path(corpus, p.singing_wav), sr=SPEC.sample_rate) for p in pairs]
    notes = [[Note(m, o, d) for m, o, d in p.notes] for p in pairs]
    rows, floors = [], []
    for pair, reference, item_notes in zip(pairs, references, notes, strict=True):
        speech = load_audio(audio_path(corpus, pair.speech_wav), sr=SPEC.sample_rate)
        n = len(reference.samples)
        for system, audio in (
            ("input speech, uniformly stretched (floor)", stretched_input(speech, n)),
            ("sine at the notes (floor)", sine_at_notes(pair.notes, n, reference.sr)),
        ):
            floors.append(
                {"system": system, "item": pair.id, "steps": None, **score(audio, reference, item_notes)}
            )
    for name in variants:
        path = os.path.join(runs, f"parekh-{name}.pt")
        if not os.path.exists(path):
            print(f"skipping {name}: no {path}")
            continue
        model, info = load_model(path)
        examples = load_split(corpus, split, inputs=info["inputs"], cache_dir=cache)[: len(pairs)]
        for pair, example, reference, item_notes in zip(pairs, examples, references, notes, strict=True):
            image = melody_image(example.f0, info["melody_image"])
            x = torch.from_numpy(example.speech.astype(np.float32))[None]
            y, _ = model(x, torch.from_numpy(image)[None])
            sung = vocoder.synthesize(y[0].clamp_min(0).numpy())
            rows.append(
                {
                    "system": VARIANTS[name].table_name,
                    "item": pair.id,
                    "steps": info["steps"],
                    **score(sung, reference, item_notes),
                }
            )
        print(f"{name}: {len(pairs)} items scored", flush=True)
    return pd.DataFrame(rows + floors)


@torch.inference_mode()
def run_real(runs: str, variants: list[str]):
    """Reference-free pitch accuracy of each speech-input variant on the committed real-voice set."""
    import pandas as pd

    from evaluation.benchmark.items import real_items
    from models.parekh.converter import ParekhConverter

    items = real_items()
    rows = [
        {"system": "input speech (floor)", "item": i.id, "steps": None, **_pitch(i.speech, i.notes)}
        for i in items
    ]
    for name in variants:
        path = os.path.join(runs, f"parekh-{name}.pt")
        if VARIANTS[name].inputs != "stretched" or not os.path.exists(path):
            continue
        converter = ParekhConverter(path)
        for item in items:
            sung = converter.convert(item.speech, melody=item.melody).audio
            rows.append(
                {"system": VARIANTS[name].table_name, "item": item.id, "steps": converter.train_info["steps"]}
                | _pitch(sung, item.notes)
            )
        print(f"{name}: {len(items)} real-voice items scored", flush=True)
    return pd.DataFrame(rows[len(items) :] + rows[: len(items)])


def _pitch(audio: Audio, notes: list[Note]) -> dict:
    rpa, rca = note_pitch_accuracy(audio, notes)
    return {"lsd_icassp": float("nan"), "rpa": rpa, "rca": rca}


def markdown(frame, *, split: str) -> str:
    from evaluation.benchmark.table import _cell, mean_ci

    where = "the real-voice set (reference-free)" if split == "real-voice" else f"the corpus {split} split"
    lines = [
        f"### ICASSP 2020 variants on {where} (mean ± 95 % CI, Griffin-Lim {GL_ITERATIONS} it.)",
        "",
        "| System | steps × 16 | LSD (icassp) ↓ | RCA ↑ | RPA ↑ | n |",
        "|---|---|---|---|---|---|",
    ]
    for system, group in frame.groupby("system", sort=False):
        cells = [_cell(*mean_ci(group[m])[:2]) for m in ("lsd_icassp", "rca", "rpa")]
        steps = group["steps"].iloc[0]
        steps = "—" if steps != steps or steps is None else f"{int(steps):,}"
        lines.append(f"| {system} | {steps} | {' | '.join(cells)} | {len(group)} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", help="corpus folder (not needed with --real)")
    parser.add_argument("--runs", required=True, help="folder with parekh-<variant>.pt checkpoints")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--split", default="test")
    parser.add_argument("--limit", type=int, default=None, help="score only the first N pairs")
    parser.add_argument("--cache", default="runs/cache", help="feature cache folder")
    parser.add_argument("--real", action="store_true", help="the real-voice set, reference-free, instead")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    if not args.real and not args.corpus:
        parser.error("--corpus is needed (or --real)")
    if args.real:
        frame, args.split = run_real(args.runs, args.variants.split(",")), "real-voice"
    else:
        frame = run(
            args.corpus,
            args.runs,
            args.variants.split(","),
            split=args.split,
            limit=args.limit,
            cache=args.cache,
        )
    os.makedirs(args.out, exist_ok=True)
    frame.to_csv(os.path.join(args.out, "variants.csv"), index=False)
    table = markdown(frame, split=args.split)
    with open(os.path.join(args.out, "variants_table.md"), "w", encoding="utf-8") as f:
        f.write(table)
    print(table)


if __name__ == "__main__":
    main()
