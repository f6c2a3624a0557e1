"""Where does the ICASSP model's LSD go? Vocoding and post-filter variants of the bundled predictions,
PJS valid split only (never test): LSD (icassp) and RCA against the true singing, per item.

    PYTHONPATH=. python results/retrain_pjs/sharpen/explore.py first|power MODEL… > out.csv

``first``: the first look (Griffin-Lim exponent 1.0 / 1.2 / 1.5, 100 iterations, a peak/valley post-filter);
``power``: the sweep the exponent was chosen from (LSD only); ``combined``: exponent × the post-filter;
``comb``: a harmonic comb at the given contour (LSD only).
"""

from __future__ import annotations

import sys

import numpy as np
from scipy.ndimage import uniform_filter1d

from evaluation.benchmark.items import corpus_items
from evaluation.metrics import lsd_icassp, true_pitch_scores
from models.parekh.converter import ParekhConverter, given_f0, harmonic_comb
from models.parekh.data import SPEC
from models.vocoders import GriffinLim

PAPER_POWER = 1.2


def griffin_lim(pred: np.ndarray, *, power: float, n_iter: int = 32):
    return GriffinLim(spec=SPEC, n_iter=n_iter, power=power).synthesize(pred)


def sharpened(logspec: np.ndarray, alpha: float, width: int) -> np.ndarray:
    """Deviations from a frequency-smoothed copy scaled by alpha (a peak/valley post-filter)."""
    smooth = uniform_filter1d(logspec, size=width, axis=0, mode="nearest")
    return np.maximum(smooth + alpha * (logspec - smooth), 0)


def first(pred: np.ndarray):
    for power in (PAPER_POWER, 1.0, 1.5):
        yield f"gl32 p{power}", griffin_lim(pred, power=power)
    yield "gl100 p1.2", griffin_lim(pred, power=PAPER_POWER, n_iter=100)
    for alpha in (1.3, 1.6):
        for width in (5, 9):
            yield f"sharp a{alpha} w{width}", griffin_lim(sharpened(pred, alpha, width), power=PAPER_POWER)


def power(pred: np.ndarray):
    for exponent in (PAPER_POWER, 1.4, 1.5, 1.6, 1.7, 1.8):
        yield f"gl32 p{exponent}", griffin_lim(pred, power=exponent)


def combined(pred: np.ndarray):
    for exponent in (1.3, 1.4, 1.5):
        for alpha in (1.0, 1.2, 1.4):
            yield f"gl32 p{exponent} a{alpha} w9", griffin_lim(sharpened(pred, alpha, 9), power=exponent)


def comb(pred: np.ndarray, f0: np.ndarray):
    for depth in (0.3, 0.6, 1.0, 1.5, 2.0):
        yield f"gl32 p1.2 comb{depth}", griffin_lim(harmonic_comb(pred, f0, depth), power=PAPER_POWER)


def main(which: str, names: list[str]) -> None:
    variants = {"first": first, "power": power, "combined": combined, "comb": comb}[which]
    items = corpus_items("corpora/pjs", split="valid")
    print("model,variant,item,lsd,rca")
    for name in names:
        conv = ParekhConverter(f"models/checkpoints/{name}.pt")
        for item in items:
            melody = item.reference_melody()
            pred = conv.singing_spectrogram(item.speech, melody)
            f0 = given_f0(melody, pred.shape[1])
            for label, out in variants(pred, f0) if which == "comb" else variants(pred):
                lsd = lsd_icassp(item.singing, out)
                # the vocoder's exponent leaves pitch alone (``first``: RCA within ±0.005), so the sweep skips it
                rca = true_pitch_scores(out, item.singing).rca if which == "first" else float("nan")
                print(f"{name},{label},{item.id},{lsd:.4f},{rca:.4f}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
