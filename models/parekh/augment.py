"""Augmentation of the ICASSP 2020 model's training batches, so that it learns neither one voice nor one room.

All of it works on the cached log(1 + |STFT|) features, in the magnitude domain:

- **voice** (speech input only): every frequency scaled by up to ±1 semitone (a formant warp), a random
  smooth EQ (±6 dB over a few broad bands), and room noise from recordings (PJS's session noise) added at
  10–30 dB SNR — magnitudes add in power, the expected magnitude of a sum with random phase;
- **tuning** (target and melody together): the sung target and its F0 contour moved by the same offset of
  up to ±50 cents, so a singer who is not at A440 is in distribution and the image still tells the truth.
"""

from __future__ import annotations

import os

import numpy as np
import torch

from models import features
from models.features import ICASSP2020_LINEAR

SPEC = ICASSP2020_LINEAR
FORMANT_SEMITONES = 1.0
EQ_DB = 6.0
EQ_BANDS = 4
SNR_DB = (10.0, 30.0)
TUNING_CENTS = 50.0


def shift_frequency(x: torch.Tensor, semitones: torch.Tensor) -> torch.Tensor:
    """(B, F, T) magnitudes with every frequency scaled by 2^(semitones/12) (linear interpolation)."""
    n = x.shape[1]
    ratio = (2.0 ** (semitones / 12.0)).view(-1, 1)
    source = torch.arange(n, dtype=torch.float32).view(1, -1) / ratio  # (B, F)
    low = source.floor().clamp(0, n - 1).long()
    high = (low + 1).clamp(max=n - 1)
    frac = (source - low).clamp(0, 1).unsqueeze(-1)
    inside = (source <= n - 1).unsqueeze(-1)
    gather = lambda idx: torch.gather(x, 1, idx.unsqueeze(-1).expand(-1, -1, x.shape[2]))  # noqa: E731
    return torch.where(inside, gather(low) * (1 - frac) + gather(high) * frac, torch.zeros_like(x))


def load_noise(folder: str) -> np.ndarray:
    """(F, T) magnitudes |STFT| of every audio file in ``folder`` (room noise), at the model's settings."""
    names = sorted(n for n in os.listdir(folder) if n.lower().endswith((".wav", ".flac", ".ogg")))
    if not names:
        raise FileNotFoundError(f"no .wav/.flac/.ogg noise recordings in {folder}")
    spectra = [
        np.expm1(
            features.spectrogram(features.load_audio(os.path.join(folder, n), sr=SPEC.sample_rate), SPEC)
        )
        for n in names
    ]
    return np.concatenate(spectra, axis=1).astype(np.float32)


def random_eq(rng: np.random.Generator, size: int, n_bins: int) -> torch.Tensor:
    """(B, F, 1) gains: ±EQ_DB at EQ_BANDS + 1 points spread over the band, interpolated between them."""
    points = rng.uniform(-EQ_DB, EQ_DB, (size, EQ_BANDS + 1))
    grid = np.linspace(0, n_bins - 1, EQ_BANDS + 1)
    curves = np.stack([np.interp(np.arange(n_bins), grid, p) for p in points])
    return torch.from_numpy((10 ** (curves / 20)).astype(np.float32)).unsqueeze(-1)


def add_noise(magnitude: torch.Tensor, noise: np.ndarray, rng: np.random.Generator) -> torch.Tensor:
    """(B, F, T) magnitudes with a random stretch of ``noise`` added at a random SNR in SNR_DB."""
    size, _, frames = magnitude.shape
    out = []
    for b in range(size):
        start = int(rng.integers(0, max(noise.shape[1] - frames, 0) + 1))
        piece = noise[:, start : start + frames]
        piece = np.pad(piece, ((0, 0), (0, frames - piece.shape[1])), mode="wrap")
        signal_power = float(magnitude[b].pow(2).mean()) + 1e-12
        noise_power = float(np.mean(piece**2)) + 1e-12
        gain = np.sqrt(signal_power / noise_power / 10 ** (rng.uniform(*SNR_DB) / 10))
        noisy = magnitude[b].pow(2) + torch.from_numpy((piece * gain).astype(np.float32)).pow(2)
        out.append(noisy.sqrt())
    return torch.stack(out)


def augment_voice(x: torch.Tensor, rng: np.random.Generator, noise: np.ndarray | None) -> torch.Tensor:
    """The speech input log(1 + |S|) (B, F, T) with a formant warp, a random EQ and (given) room noise."""
    size = x.shape[0]
    x = shift_frequency(x, torch.from_numpy(rng.uniform(-1, 1, size).astype(np.float32) * FORMANT_SEMITONES))
    magnitude = torch.expm1(x.clamp_min(0)) * random_eq(rng, size, x.shape[1])
    if noise is not None:
        magnitude = add_noise(magnitude, noise, rng)
    return torch.log1p(magnitude).float()


def tuning_offsets(rng: np.random.Generator, size: int) -> np.ndarray:
    """(B,) cents, uniform in ±TUNING_CENTS."""
    return rng.uniform(-TUNING_CENTS, TUNING_CENTS, size).astype(np.float32)
