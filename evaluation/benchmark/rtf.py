"""Real-time factor as ARCHITECTURE.md defines it: wall seconds ÷ seconds of output, model loaded, median
of 5 runs (after one warm-up run that is not counted); a 10 s melody with about 5 s of speech for
speech→singing, a 10 s input otherwise."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import numpy as np

from models.features import Audio
from models.melody import Melody, parse_note_text

SPEECH_SECONDS = 5.0
INPUT_SECONDS = 10.0


def standard_melody() -> Melody:
    """10 s: a C-major scale up and down twice in half notes of 0.5 s, a 1.5 s C4, a 0.5 s rest."""
    scale = " ".join(f"{m}:0.5" for m in [60, 62, 64, 65, 67, 65, 64, 62] * 2)
    return parse_note_text(scale + " 60:1.5 r:0.5", name="RTF melody")


def tiled(audio: Audio, seconds: float) -> Audio:
    """``audio`` repeated and cut to exactly ``seconds``."""
    n = int(round(seconds * audio.sr))
    reps = int(np.ceil(n / max(1, len(audio.samples))))
    return Audio(np.tile(audio.samples, reps)[:n].astype(np.float32), audio.sr)


def measure_rtf(*, run: Callable[[], Audio], runs: int = 5) -> float:
    """Median over ``runs`` timed calls of wall seconds ÷ output seconds, after one untimed warm-up."""
    if runs < 1:
        raise ValueError("RTF needs at least one timed run")
    run()  # warm-up: JIT compilation, caches, lazily loaded weights
    ratios = []
    for _ in range(runs):
        start = time.perf_counter()
        out = run()
        ratios.append((time.perf_counter() - start) / max(out.duration, 1e-9))
    return statistics.median(ratios)
