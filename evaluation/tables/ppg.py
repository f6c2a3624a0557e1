"""Frame accuracy and phone error rate of a phoneme recognizer on labelled sets: what its model card reports.

python -m evaluation.tables.ppg [--checkpoint models/checkpoints/ppg.pt] [--corpus DIR] [--real] [--tune] [--json OUT]

Per utterance: frame accuracy (frame-wise argmax against the frame labels of :mod:`models.ppg.data`) and
PER (:func:`evaluation.intelligibility.phone_error_rate` of the decoded phones, :meth:`PhoneRecognizer.decode`,
against the labelled ones).
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

from evaluation.intelligibility import phone_error_rate
from models.corpus.manifest import read_manifest
from models.corpus.phones import PHONES
from models.ppg.data import utterances_of
from models.ppg.recognizer import DEFAULT_CHECKPOINT, PhoneRecognizer, best_path, segments


def score_utterance(recognizer: PhoneRecognizer, mel: np.ndarray, labels: np.ndarray) -> dict:
    """Frame accuracy (frame-wise argmax) and PER (decoded phones) of one utterance against its labels."""
    posteriors = recognizer.posteriorgram_of_mel(mel)
    heard = [p for _, _, p in recognizer.decode(posteriors)]
    truth = [p for _, _, p in segments(labels, recognizer.frame_seconds)]
    return {
        "frame_accuracy": float(np.mean(posteriors.argmax(axis=1) == labels)),
        "per": phone_error_rate(hypothesis=heard, reference=truth),
        "frames": int(len(labels)),
    }


def tune_switch_penalty(recognizer: PhoneRecognizer, root: str, penalties: list[float]) -> dict[float, float]:
    """Mean PER over the valid split's utterances for each switch penalty (posteriors computed once)."""
    cases = []
    for pair in read_manifest(root, split="valid"):
        for u in utterances_of(root, pair):
            truth = [p for _, _, p in segments(u.labels, recognizer.frame_seconds)]
            cases.append((recognizer.posteriorgram_of_mel(u.mel.astype(np.float32)), truth))
    result = {}
    for penalty in penalties:
        rates = []
        for posteriors, truth in cases:
            path = best_path(posteriors, switch_penalty=penalty)
            heard = [p for _, _, p in segments(path, recognizer.frame_seconds)]
            rates.append(phone_error_rate(hypothesis=heard, reference=truth))
        result[penalty] = round(float(np.mean(rates)), 4)
    return result


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

    parser = argparse.ArgumentParser(
        prog="python -m evaluation.tables.ppg", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--checkpoint", default=DEFAULT_CHECKPOINT)
    parser.add_argument("--corpus", help="corpus folder: scores its test split")
    parser.add_argument("--split", default="test")
    parser.add_argument("--real", action="store_true", help="score the committed real-voice set")
    parser.add_argument("--json", help="write the results here too")
    parser.add_argument(
        "--tune", action="store_true", help="PER on the corpus's valid split for a range of switch penalties"
    )
    args = parser.parse_args(argv)
    recognizer = PhoneRecognizer.from_checkpoint(args.checkpoint)
    results = {}
    if args.tune and args.corpus:
        penalties = [0.0, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0]
        results["valid PER by switch penalty"] = tune_switch_penalty(recognizer, args.corpus, penalties)
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
