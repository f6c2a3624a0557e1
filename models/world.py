"""WORLD analysis, time warping and synthesis shared by the model-based converters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from models import features
from models.features import F0_CEIL_HZ, F0_FLOOR_HZ, Audio

#: WORLD frame period; fine enough for vibrato and consonant timing.
FRAME_MS = 5.0


@dataclass
class WorldParams:
    """WORLD parameters at ``FRAME_MS``: F0 (Hz, 0 unvoiced), spectral envelope and aperiodicity (T, bins)."""

    f0: np.ndarray
    sp: np.ndarray
    ap: np.ndarray
    sr: int

    @property
    def times(self) -> np.ndarray:
        return np.arange(len(self.f0)) * FRAME_MS / 1000

    def take(self, source_frames: np.ndarray) -> WorldParams:
        """Frames at the given source indices (nearest-frame time warping)."""
        idx = np.clip(np.asarray(source_frames, dtype=int), 0, len(self.f0) - 1)
        return WorldParams(self.f0[idx].copy(), self.sp[idx].copy(), self.ap[idx].copy(), self.sr)


def analyse(
    audio: Audio, *, envelope_stride: int = 1, progress: Callable[[float], None] | None = None
) -> WorldParams:
    """DIO + StoneMask F0 (the fast method of models.features), CheapTrick envelope, D4C aperiodicity.

    ``envelope_stride`` > 1 analyses the envelope and aperiodicity on every n-th frame only and
    interpolates between them: D4C dominates the cost, and the corpus builder needs the speed.
    ``progress(fraction done)`` is called after each of the three steps.
    """
    import pyworld

    # Each step's share of the time (48 s of singing: F0 1.2 s, CheapTrick 0.5 s, D4C 1.6 s). Finer
    # progress would need the frames analysed in batches, which changes the output: WORLD adds a tiny
    # noise from one random sequence running on across all frames.
    report = progress or (lambda fraction: None)
    x = audio.samples.astype(np.float64)
    track = features.f0(audio, method="fast", hop_s=FRAME_MS / 1000, fmin=F0_FLOOR_HZ, fmax=F0_CEIL_HZ)
    report(0.35)
    f0, times = track.hz, track.times
    coarse = np.arange(0, len(f0), max(1, envelope_stride))
    if coarse[-1] != len(f0) - 1:
        coarse = np.append(coarse, len(f0) - 1)
    sp = pyworld.cheaptrick(x, f0[coarse], times[coarse], audio.sr)
    report(0.5)
    ap = pyworld.d4c(x, f0[coarse], times[coarse], audio.sr)
    report(1.0)
    if len(coarse) < len(f0):
        sp, ap = _interpolate_frames(sp, coarse, len(f0)), _interpolate_frames(ap, coarse, len(f0))
    return WorldParams(f0, sp, ap, audio.sr)


def _interpolate_frames(frames: np.ndarray, at: np.ndarray, n: int) -> np.ndarray:
    """Linear interpolation of (T', bins) frames known at indices ``at`` onto all ``n`` frames."""
    position = np.interp(np.arange(n), at, np.arange(len(at)))
    low = np.floor(position).astype(int)
    high = np.minimum(low + 1, len(at) - 1)
    frac = (position - low)[:, None]
    return np.ascontiguousarray(frames[low] * (1 - frac) + frames[high] * frac)


def synthesize(params: WorldParams) -> Audio:
    import pyworld

    y = pyworld.synthesize(
        np.ascontiguousarray(params.f0, dtype=np.float64),
        np.ascontiguousarray(params.sp, dtype=np.float64),
        np.ascontiguousarray(params.ap, dtype=np.float64),
        params.sr,
        FRAME_MS,
    )
    peak = np.max(np.abs(y)) if len(y) else 0.0
    if peak > 0.99:  # WORLD can overshoot full scale on loud vowels
        y = y * (0.99 / peak)
    return Audio(y.astype(np.float32), params.sr)


def warp_indices(anchors_target: np.ndarray, anchors_source: np.ndarray, n_frames: int) -> np.ndarray:
    """Source frame index for each of ``n_frames`` target frames, by piecewise-linear time map (seconds)."""
    t = np.arange(n_frames) * FRAME_MS / 1000
    source_t = np.interp(t, anchors_target, anchors_source)
    return np.round(source_t * 1000 / FRAME_MS).astype(int)


def boost_band(
    sp: np.ndarray, sr: int, *, centre_hz: float, width_hz: float, gain_db: float, frames: np.ndarray
) -> np.ndarray:
    """Raise the envelope by ``gain_db`` around ``centre_hz`` (Gaussian in frequency) on the chosen frames."""
    if gain_db == 0:
        return sp
    freqs = np.linspace(0, sr / 2, sp.shape[1])
    gain = 10 ** (gain_db * np.exp(-0.5 * ((freqs - centre_hz) / width_hz) ** 2) / 10)  # power envelope
    out = sp.copy()
    out[frames] *= gain
    return out


def match_level(samples: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Scale ``samples`` to the RMS level of ``reference`` (clipped just under full scale)."""

    def rms(x):
        return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if len(x) else 0.0

    return np.clip(samples * (rms(reference) / max(rms(samples), 1e-6)), -0.99, 0.99).astype(np.float32)
