"""Speaker transforms: how two Festival base voices become many "speakers".

A speaker is a base voice (Festival's kal or ked, both US-English male diphone voices) re-synthesized
by WORLD with its spectral envelope warped in frequency (α > 1 raises the formants, as in a shorter
vocal tract) and its F0 shifted; the melody is transposed by the same shift. Every speaker is a
transform of those two voices: the corpus is synthetic, and its DATASET card says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Speaker:
    name: str
    base_voice: str  # Festival voice: "kal" or "ked"
    formant_warp: float  # α: envelope(f) becomes envelope(f / α)
    f0_shift: int  # semitones, applied to speech F0 and to the sung melody
    kind: str = "training transform"

    @property
    def female_range(self) -> bool:
        return self.f0_shift >= 8 and self.formant_warp >= 1.1


#: training speakers (they also appear in valid and test, singing lines never heard in train)
SPEAKERS = (
    Speaker("kal-m0", "kal", 1.00, 0),
    Speaker("ked-m0", "ked", 1.00, 0),
    Speaker("kal-m1", "kal", 0.90, -3),
    Speaker("ked-m1", "ked", 0.93, -2),
    Speaker("kal-m2", "kal", 1.06, 3),
    Speaker("ked-m2", "ked", 1.04, 4),
    Speaker("kal-f1", "kal", 1.15, 10),
    Speaker("ked-f1", "ked", 1.18, 12),
    Speaker("kal-f2", "kal", 1.12, 9),
    Speaker("ked-f2", "ked", 1.20, 11),
)

#: held out: F0 shift and formant warp above every training speaker's
UNSEEN = Speaker("ked-u1", "ked", 1.27, 15, kind="unseen transform, seen base voice")

#: per-pair jitter of the warp, so no two pairs of a speaker are exactly alike
WARP_JITTER = 0.015


def warp_envelope(sp: np.ndarray, alpha: float) -> np.ndarray:
    """Spectral envelope frames (T, bins) with frequencies scaled by ``alpha`` (linear interpolation)."""
    if alpha == 1.0:
        return sp
    bins = np.arange(sp.shape[1], dtype=np.float64)
    source = np.clip(bins / alpha, 0, sp.shape[1] - 1)
    low = np.floor(source).astype(int)
    high = np.minimum(low + 1, sp.shape[1] - 1)
    frac = source - low
    return np.ascontiguousarray(sp[:, low] * (1 - frac) + sp[:, high] * frac)
