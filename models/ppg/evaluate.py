"""Frame accuracy and phone error rate of a phoneme recognizer on labelled sets: what its model card reports.

python -m models.ppg.evaluate [--checkpoint models/checkpoints/ppg.pt] [--corpus DIR] [--real] [--json OUT]

Per utterance: frame accuracy (argmax against the frame labels of :mod:`models.ppg.data`) and PER
(:func:`models.ppg.recognizer.phone_error_rate` of the recognized phones against the labelled ones).
Groups: the corpus test split's speech and singing, its unseen-transform speaker apart; the real-voice
set's real speech (labels: pocketsphinx forced alignment or shipped HTS labels) and its WORLD-sung
versions (labels: forced alignment of the sung file, where it succeeded). Each group gives mean ± 95 %
t-interval over its utterances, and the floor of always answering its most frequent label.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter

import numpy as np

from models.corpus.manifest import read_manifest
from models.corpus.phones import PHONES
from models.ppg.data import utterances_of
from models.ppg.recognizer import DEFAULT_CHECKPOINT, PhoneRecognizer, phone_error_rate, segments


def score_utterance(recognizer: PhoneRecognizer, mel: np.ndarray, labels: np.ndarray) -> dict:
    """Frame accuracy and PER of one utterance's recognition against its frame labels."""
    guess = recognizer.posteriorgram_of_mel(mel).argmax(axis=1)
    heard = [p for _, _, p in segments(guess, recognizer.frame_seconds)]
    truth = [p for _, _, p in segments(labels, recognizer.frame_seconds, min_frames=1)]
    return {
        "frame_accuracy": float(np.mean(guess == labels)),
        "per": phone_error_rate(hypothesis=heard, reference=truth),
        "frames": int(len(labels)),
    }


def summarize(rows: list[dict], labels: list[np.ndarray]) -> dict:
    """Means with 95 % t-intervals over utterances, and the most-frequent-label floor of the group."""
    from evaluation.benchmark.table import mean_ci

    counts = Counter(np.concatenate(labels).tolist())
    top, top_count = counts.most_common(1)[0]
    floor = top_count / sum(counts.values())
    out = {"n": len(rows), "most_frequent": PHONES[top], "floor_frame_accuracy": round(floor, 4)}
    for key in ("frame_accuracy", "per"):
        mean, half, _ = mean_ci([r[key] for r in rows])
        out[key] = round(mean, 4)
        out[f"{key}_ci95"] = round(half, 4)
    return out


def score_manifest(recognizer: PhoneRecognizer, root: str, *, split: str | None) -> list[tuple]:
    """(pair, side, scores, frame labels) of every labelled utterance of ``root`` (one split, or all)."""
    scored = []
    for pair in read_manifest(root, split=split):
        for utterance in utterances_of(root, pair):
            scores = score_utterance(recognizer, utterance.mel.astype(np.float32), utterance.labels)
            scored.append((pair, utterance.side, scores, utterance.labels))
    return scored


def grouped(scored: list[tuple], group_of) -> dict:
    """:func:`summarize` of the utterances of each group ``group_of(pair, side)`` names."""
    groups: dict[str, tuple[list, list]] = {}
    for pair, side, scores, labels in scored:
        rows, all_labels = groups.setdefault(group_of(pair, side), ([], []))
        rows.append(scores)
        all_labels.append(labels)
    return {name: summarize(rows, labels) for name, (rows, labels) in sorted(groups.items())}


def corpus_group(pair, side: str) -> str:
    unseen = pair.speaker.endswith("u1")
    return f"{side}{' (unseen transform)' if unseen else ' (training transforms)'}"


def real_group(pair, side: str) -> str:
    return "real speech" if side == "speech" else "WORLD-sung real speech"


def main(argv: list[str] | None = None) -> int:
    from evaluation.benchmark.items import REAL_VOICE_MANIFEST

    parser = argparse.ArgumentParser(prog="python -m models.ppg.evaluate", description=__doc__.split("\n")[0])
    parser.add_argument("--checkpoint", default=DEFAULT_CHECKPOINT)
    parser.add_argument("--corpus", help="corpus folder: scores its test split")
    parser.add_argument("--split", default="test")
    parser.add_argument("--real", action="store_true", help="score the committed real-voice set")
    parser.add_argument("--json", help="write the results here too")
    args = parser.parse_args(argv)
    recognizer = PhoneRecognizer.from_checkpoint(args.checkpoint)
    results = {}
    if args.corpus:
        scored = score_manifest(recognizer, args.corpus, split=args.split)
        results[f"corpus {args.split}"] = {
            **grouped(scored, lambda pair, side: side),
            **grouped(scored, corpus_group),
        }
    if args.real:
        scored = score_manifest(recognizer, REAL_VOICE_MANIFEST, split=None)
        results["real voices"] = grouped(scored, real_group)
    text = json.dumps(results, indent=1)
    print(text)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
