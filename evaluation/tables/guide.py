"""Which features align speech to a guide vocal best? ``python -m evaluation.tables.guide CORPUS [--pairs N]``.

On corpus pairs whose speech and singing both carry phone timings, each sung phone onset is carried to
the speech through the alignment and compared with the speech's own onset of that phone (median absolute
error, and the share within 50 ms); the uniform stretch (speech time = sung time × length ratio) is the
floor. The alignment cost of each pair is printed beside the cost of the same speech against another
pair's singing (other words), the basis of the mismatch threshold in :mod:`models.dsp.guide`.

``forced``: both sides aligned to the pair's lyrics by pocketsphinx (``models.forced_align``), each sung
time carried to the speech piecewise-linearly between the two alignments' phone onsets — the third
guide feature the issue asked to measure (it needs typed lyrics, and English).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from models.corpus.manifest import audio_path, read_manifest
from models.dsp.guide import FEATURES, align_to_guide
from models.features import AudioLimits, load_audio
from models.forced_align import AlignmentError, align

LONG = AudioLimits(min_seconds=0.05, max_seconds=120.0)


def onsets(phones) -> list[float]:
    return [start for start, _, phone in phones if phone != "SIL"]


def forced_map(speech, singing, text: str):
    """Sung seconds → speech seconds through forced alignments of both to ``text``; None when either fails
    or they disagree on the phones."""
    try:
        spoken, sung = align(speech, text), align(singing, text)
    except AlignmentError:
        return None
    if [p.label for p in spoken] != [p.label for p in sung]:
        return None
    src = np.array([0.0, *[p.start for p in sung], singing.duration])
    dst = np.array([0.0, *[p.start for p in spoken], speech.duration])
    return lambda times: np.interp(times, src, dst)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evaluation.tables.guide", description=__doc__)
    parser.add_argument("corpus")
    parser.add_argument("--pairs", type=int, default=12)
    parser.add_argument("--split", default=None)
    args = parser.parse_args(argv)
    pairs = [p for p in read_manifest(args.corpus, split=args.split) if p.singing_wav][: args.pairs]
    errors = {kind: [] for kind in (*FEATURES, "forced", "uniform")}
    forced_failed = 0
    costs = {kind: ([], []) for kind in FEATURES}
    seconds = dict.fromkeys(FEATURES, 0.0)
    for index, pair in enumerate(pairs):
        speech = load_audio(audio_path(args.corpus, pair.speech_wav), limits=LONG)
        singing = load_audio(audio_path(args.corpus, pair.singing_wav), limits=LONG)
        other = pairs[(index + 1) % len(pairs)]
        other_singing = load_audio(audio_path(args.corpus, other.singing_wav), limits=LONG)
        sung, spoken = onsets(pair.singing_phones), onsets(pair.speech_phones)
        if len(sung) != len(spoken):
            continue
        ratio = speech.duration / singing.duration
        errors["uniform"] += list(np.abs(np.asarray(sung) * ratio - spoken))
        start = time.perf_counter()
        mapping = forced_map(speech, singing, pair.text)
        seconds["forced"] = seconds.get("forced", 0.0) + time.perf_counter() - start
        if mapping is None:
            forced_failed += 1
        else:
            errors["forced"] += list(np.abs(mapping(np.asarray(sung)) - spoken))
        for kind in FEATURES:
            start = time.perf_counter()
            alignment = align_to_guide(speech, singing, kind=kind)
            seconds[kind] += time.perf_counter() - start
            errors[kind] += list(np.abs(alignment.speech_time_at(np.asarray(sung)) - spoken))
            costs[kind][0].append(alignment.cost)
            costs[kind][1].append(align_to_guide(speech, other_singing, kind=kind).cost)
    print(f"{len(pairs)} pairs of {args.corpus}; {len(errors['uniform'])} phone onsets")
    print(
        f"forced alignment failed (or disagreed on the phones) on {forced_failed} pairs; scored on the rest\n"
    )
    print(
        "| features | median onset error (ms) | within 50 ms | cost, same words | cost, other words | s/pair |"
    )
    print("|---|---|---|---|---|---|")
    for kind, values in errors.items():
        e = np.asarray(values)
        same, other = costs.get(kind, ([], []))
        cost_cells = (
            f"{np.median(same):.3f} (max {np.max(same):.3f}) | {np.median(other):.3f} (min {np.min(other):.3f})"
            if same
            else "— | —"
        )
        speed = f"{seconds[kind] / len(pairs):.2f}" if kind in seconds else "—"
        print(f"| {kind} | {1000 * np.median(e):.0f} | {np.mean(e <= 0.05):.0%} | {cost_cells} | {speed} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
