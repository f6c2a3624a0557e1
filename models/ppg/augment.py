"""Augmentation of log mel crops, so the recognizer holds on voices, rooms and microphones it never heard.

Everything works on cached log mel frames (the corpus's audio is read once), which keeps a step cheap on
one CPU thread. Each transform is an approximation of its audio-domain counterpart, named for what it does:

- **tempo**: the crop is resampled in time by a factor in [0.75, 1.33] (labels by nearest frame);
- **speaker** (formants): the spectral envelope (the first :data:`ENVELOPE_CEPSTRA` cepstral coefficients
  of the mel frame) is warped along frequency by α ∈ [0.82, 1.22], as
  :mod:`models.corpus.speakers` warps WORLD's envelope (vocal-tract-length perturbation);
- **pitch**: the remaining fine structure (the harmonics, resolved below about 1 kHz by 80 mel bins) is
  warped by 2^(s/12), s ∈ [-6, 6] semitones, independently of the envelope;
- **channel**: a smooth random equalizer (±6 dB) and, sometimes, a low-pass at 3-7 kHz (telephone and
  cheap microphones);
- **noise**: coloured noise added in magnitude (spectral tilt -2..+1, fluctuating per frame) at 0-30 dB
  SNR against the crop's mean level;
- **masks**: SpecAugment-style frequency and time masks.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import torch

from models import features
from models.features import PPG_MEL

ENVELOPE_CEPSTRA = 16
FLOOR = float(np.log(PPG_MEL.clamp))


@dataclass(frozen=True)
class AugmentConfig:
    tempo: tuple[float, float] = (0.75, 1.33)
    formant_warp: tuple[float, float] = (0.82, 1.22)
    pitch_semitones: float = 6.0
    eq_db: float = 6.0
    lowpass_hz: tuple[float, float] = (3000.0, 7000.0)
    snr_db: tuple[float, float] = (0.0, 30.0)
    p_warp: float = 0.8
    p_eq: float = 0.5
    p_lowpass: float = 0.2
    p_noise: float = 0.5
    p_mask: float = 0.5


@functools.lru_cache(maxsize=1)
def _bin_hz() -> np.ndarray:
    return features.mel_bin_frequencies(PPG_MEL).astype(np.float64)


@functools.lru_cache(maxsize=1)
def _dct(n: int) -> torch.Tensor:
    """Orthonormal DCT-II matrix (n, n): rows are cepstral basis vectors."""
    k = np.arange(n)[:, None]
    basis = np.cos(np.pi / n * (np.arange(n)[None, :] + 0.5) * k) * np.sqrt(2.0 / n)
    basis[0] /= np.sqrt(2.0)
    return torch.from_numpy(basis.astype(np.float32))


def warp_matrix(ratio: float) -> torch.Tensor:
    """(F, F) linear map of a mel frame whose content at f Hz moves to ratio · f (interpolated, edges held)."""
    hz = _bin_hz()
    source = np.interp(hz / ratio, hz, np.arange(len(hz)))
    low = np.floor(source).astype(int)
    high = np.minimum(low + 1, len(hz) - 1)
    frac = source - low
    matrix = np.zeros((len(hz), len(hz)), dtype=np.float32)
    rows = np.arange(len(hz))
    np.add.at(matrix, (rows, low), 1 - frac)
    np.add.at(matrix, (rows, high), frac)
    return torch.from_numpy(matrix)


def split_envelope(mel: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(F, T) log mel → (envelope, fine structure), envelope = the low cepstral coefficients; they sum to mel."""
    dct = _dct(mel.shape[0])
    low = dct[:ENVELOPE_CEPSTRA]
    envelope = low.T @ (low @ mel)
    return envelope, mel - envelope


def warp_voice(mel: torch.Tensor, *, formant_ratio: float, pitch_ratio: float) -> torch.Tensor:
    """(F, T) log mel with its envelope warped by ``formant_ratio`` and its harmonics by ``pitch_ratio``."""
    envelope, fine = split_envelope(mel)
    return warp_matrix(formant_ratio) @ envelope + warp_matrix(pitch_ratio) @ fine


def equalize(mel: torch.Tensor, rng: np.random.Generator, max_db: float) -> torch.Tensor:
    """A smooth random gain curve over the bins (three random cosines), at most ``max_db`` either way."""
    position = torch.linspace(0, 1, mel.shape[0]).unsqueeze(1)
    curve = sum(
        float(rng.uniform(-1, 1))
        * torch.cos(np.pi * float(rng.uniform(0.5, 3)) * position + float(rng.uniform(0, 2 * np.pi)))
        for _ in range(3)
    )
    curve = curve / 3 * max_db / (20 * np.log10(np.e))  # dB → ln of magnitude
    return mel + curve


def lowpass(mel: torch.Tensor, cutoff_hz: float) -> torch.Tensor:
    """Bins above ``cutoff_hz`` to the log floor (a band-limited channel stored at 16 kHz)."""
    above = torch.from_numpy(_bin_hz() > cutoff_hz)
    return torch.where(above.unsqueeze(1), torch.full_like(mel, FLOOR), mel)


def add_noise(mel: torch.Tensor, rng: np.random.Generator, snr_db: float) -> torch.Tensor:
    """Coloured noise summed with the signal in power, ``snr_db`` below the crop's mean power."""
    power = torch.exp(2 * mel)
    tilt = float(rng.uniform(-2.0, 1.0))
    shape = torch.from_numpy(((_bin_hz() + 100.0) / 1000.0) ** tilt).float().unsqueeze(1)
    shape = shape / shape.mean()
    target = power.mean() * 10 ** (-snr_db / 10)
    fluctuation = torch.from_numpy(rng.gamma(4.0, 0.25, size=mel.shape).astype(np.float32))
    noisy = power + target * shape * fluctuation
    return torch.clamp(0.5 * torch.log(noisy), min=FLOOR)


def mask(mel: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """Two frequency masks (≤ 8 bins) and two time masks (≤ 8 frames), filled with the crop's mean."""
    out = mel.clone()
    fill = float(mel.mean())
    n_bins, n_frames = mel.shape
    for _ in range(2):
        width = int(rng.integers(0, 9))
        start = int(rng.integers(0, max(n_bins - width, 1)))
        out[start : start + width] = fill
        width = int(rng.integers(0, 9))
        start = int(rng.integers(0, max(n_frames - width, 1)))
        out[:, start : start + width] = fill
    return out


def stretch_indices(n_source: int, n_out: int) -> np.ndarray:
    """Fractional source frame of each of ``n_out`` frames spread evenly over ``n_source``."""
    return (np.arange(n_out) + 0.5) * n_source / n_out - 0.5


def tempo_crop(
    mel: np.ndarray, labels: np.ndarray, rng: np.random.Generator, *, frames: int, rate: float
) -> tuple[np.ndarray, np.ndarray]:
    """A random crop whose source spans ``frames · rate`` frames, resampled to ``frames`` (or fewer, if short)."""
    total = labels.shape[0]
    span = min(total, max(2, int(round(frames * rate))))
    start = int(rng.integers(0, total - span + 1))
    n_out = max(1, int(round(span / rate)))
    position = np.clip(stretch_indices(span, n_out), 0, span - 1) + start
    low = np.floor(position).astype(int)
    high = np.minimum(low + 1, total - 1)
    frac = (position - low).astype(np.float32)
    crop = mel[:, low].astype(np.float32) * (1 - frac) + mel[:, high].astype(np.float32) * frac
    return crop, labels[np.rint(position).astype(int)]


def augment(mel: torch.Tensor, rng: np.random.Generator, config: AugmentConfig) -> torch.Tensor:
    """One crop (F, T) through the random transforms of the module docstring."""
    if rng.random() < config.p_warp:
        low, high = config.formant_warp
        formant = float(np.exp(rng.uniform(np.log(low), np.log(high))))
        pitch = float(2 ** (rng.uniform(-config.pitch_semitones, config.pitch_semitones) / 12))
        mel = warp_voice(mel, formant_ratio=formant, pitch_ratio=pitch)
    if rng.random() < config.p_eq:
        mel = equalize(mel, rng, config.eq_db)
    if rng.random() < config.p_noise:
        mel = add_noise(mel, rng, float(rng.uniform(*config.snr_db)))
    if rng.random() < config.p_lowpass:
        mel = lowpass(mel, float(rng.uniform(*config.lowpass_hz)))
    if rng.random() < config.p_mask:
        mel = mask(mel, rng)
    return mel
