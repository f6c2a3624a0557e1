"""Compare F0 trackers on signals of known F0: ``python -m evaluation.f0_trackers``.

Prints, per tracker, raw pitch accuracy (share of frames within 50 cents of the truth, an unvoiced
decision counting as a miss), the median absolute error in cents, and seconds per 10 s of audio on
this machine. The result chose the two methods of ``models.features.f0``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from evaluation.synthetic import KnownF0, standard_set
from models.features import F0_CEIL_HZ, F0_FLOOR_HZ, HIFIGAN_MEL, Audio


def _pyworld(kind: str):
    import pyworld

    def track(audio: Audio) -> tuple[np.ndarray, np.ndarray]:
        x = audio.samples.astype(np.float64)
        period = 1000 * HIFIGAN_MEL.frame_seconds
        if kind == "harvest":
            hz, t = pyworld.harvest(
                x, audio.sr, f0_floor=F0_FLOOR_HZ, f0_ceil=F0_CEIL_HZ, frame_period=period
            )
            return t, hz
        hz, t = pyworld.dio(x, audio.sr, f0_floor=F0_FLOOR_HZ, f0_ceil=F0_CEIL_HZ, frame_period=period)
        if kind == "dio+stonemask":
            hz = pyworld.stonemask(x, hz, t, audio.sr)
        return t, hz

    return track


def _pyin(audio: Audio) -> tuple[np.ndarray, np.ndarray]:
    import librosa

    hop = HIFIGAN_MEL.hop_length
    hz, voiced, _ = librosa.pyin(
        audio.samples, fmin=F0_FLOOR_HZ, fmax=F0_CEIL_HZ, sr=audio.sr, frame_length=2048, hop_length=hop
    )
    hz = np.where(voiced, np.nan_to_num(hz), 0.0)
    return np.arange(len(hz)) * hop / audio.sr, hz


def _yin(audio: Audio) -> tuple[np.ndarray, np.ndarray]:
    import librosa

    hop = HIFIGAN_MEL.hop_length
    hz = librosa.yin(
        audio.samples, fmin=F0_FLOOR_HZ, fmax=F0_CEIL_HZ, sr=audio.sr, frame_length=2048, hop_length=hop
    )
    return np.arange(len(hz)) * hop / audio.sr, hz


TRACKERS = {
    "dio": _pyworld("dio"),
    "dio+stonemask": _pyworld("dio+stonemask"),
    "harvest": _pyworld("harvest"),
    "pyin": _pyin,
    "yin (no voicing)": _yin,
}


def score(signal: KnownF0, times: np.ndarray, hz: np.ndarray) -> tuple[float, float]:
    """(share of frames within 50 cents, median |error| in cents over voiced estimates); edges excluded."""
    inside = (times > 0.1) & (times < signal.audio.duration - 0.1)
    truth = signal.truth(times[inside])
    estimate = hz[inside]
    voiced = estimate > 0
    cents = np.full(len(truth), np.inf)
    cents[voiced] = np.abs(1200 * np.log2(estimate[voiced] / truth[voiced]))
    median = float(np.median(cents[voiced])) if voiced.any() else float("nan")
    return float(np.mean(cents <= 50)), median


def compare(signals: list[KnownF0]) -> list[dict]:
    rows = []
    for name, track in TRACKERS.items():
        accuracies, medians, seconds, audio_seconds = [], [], 0.0, 0.0
        for signal in signals:
            start = time.perf_counter()
            times, hz = track(signal.audio)
            seconds += time.perf_counter() - start
            audio_seconds += signal.audio.duration
            accuracy, median = score(signal, times, hz)
            accuracies.append(accuracy)
            medians.append(median)
        rows.append(
            {
                "tracker": name,
                "rpa50_mean": float(np.mean(accuracies)),
                "rpa50_worst": float(np.min(accuracies)),
                "median_cents": float(np.nanmedian(medians)),
                "seconds_per_10s": 10 * seconds / audio_seconds,
            }
        )
    return rows


def main() -> None:
    argparse.ArgumentParser(description=__doc__).parse_args()
    signals = standard_set()
    _pyin(signals[0].audio)  # JIT warm-up so numba compile time is not billed to pyin
    rows = compare(signals)
    print(f"{len(signals)} signals: " + "; ".join(s.name for s in signals))
    print("| tracker | RPA@50c mean | RPA@50c worst signal | median error (cents) | s per 10 s |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['tracker']} | {r['rpa50_mean']:.3f} | {r['rpa50_worst']:.3f} | {r['median_cents']:.1f} "
            f"| {r['seconds_per_10s']:.2f} |"
        )


if __name__ == "__main__":
    main()
