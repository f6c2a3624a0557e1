"""The rhythm envelope of a mel spectrogram: where sound is on and off (AlignSTS's rhythm target, and the
metrics' rhythm distance). In the models core because a converter and the evaluation both use it."""

from __future__ import annotations

import numpy as np

RHYTHM_SHARPNESS = 35.0  # k of AlignSTS's training target


def rhythm_of_mel(log_mel: np.ndarray, sharpness: float = RHYTHM_SHARPNESS) -> np.ndarray:
    """(T,) r = sigmoid(k · z-score of √Σ_bins exp(mel)²) of a (n_mels, T) natural-log mel."""
    energy = np.sqrt(np.sum(np.exp(2.0 * log_mel.astype(np.float64)), axis=0))
    z = (energy - energy.mean()) / (energy.std() + 1e-8)
    return (1.0 / (1.0 + np.exp(-np.clip(sharpness * z, -50, 50)))).astype(np.float32)
