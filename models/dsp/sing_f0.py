"""Singing F0 from notes, after Saitou et al. (2007): overshoot, preparation, vibrato, fine fluctuation.

Overshoot and preparation are the responses of a damped second-order system to the note steps, run
forward in time (overshoot after a transition) and backward (a dip before it, preparation).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.melody import Melody

OVERSHOOT = (5.5, 0.55)  # natural frequency (Hz), damping ratio
PREPARATION = (4.6, 0.67)


@dataclass(frozen=True)
class F0Style:
    overshoot: float = 1.0
    preparation: float = 1.0
    vibrato_rate_hz: float = 5.5
    vibrato_extent_cents: float = 35.0
    vibrato_delay_s: float = 0.25
    fluctuation_cents: float = 6.0


def _second_order(x: np.ndarray, frame_s: float, natural_hz: float, damping: float) -> np.ndarray:
    from scipy.signal import bilinear, lfilter, lfilter_zi

    w = 2 * np.pi * natural_hz
    b, a = bilinear([w * w], [1.0, 2 * damping * w, w * w], fs=1 / frame_s)
    y, _ = lfilter(b, a, x, zi=lfilter_zi(b, a) * x[0])
    return y


def _held_cents(melody: Melody, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Note pitch in cents (re 440 Hz) at each time, rests holding the neighbouring note; and the sung mask."""
    cents = np.full(len(times), np.nan)
    sung = np.zeros(len(times), dtype=bool)
    for note in melody.sung_notes:
        inside = (times >= note.onset) & (times < note.end)
        cents[inside] = 100.0 * (note.midi - 69)
        sung |= inside
    if not sung.any():
        return np.zeros(len(times)), sung
    idx = np.arange(len(times))
    known = ~np.isnan(cents)
    cents = np.interp(idx, idx[known], cents[known])  # rests: bridge between neighbouring notes
    return cents, sung


def singing_f0(
    melody: Melody, n_frames: int, frame_s: float, style: F0Style = F0Style(), seed: int = 0
) -> np.ndarray:
    """F0 in Hz per frame (0 during rests) following ``melody`` with the expressive components of ``style``."""
    times = np.arange(n_frames) * frame_s
    steps, sung = _held_cents(melody, times)
    cents = steps.copy()
    if style.overshoot:
        cents += style.overshoot * (_second_order(steps, frame_s, *OVERSHOOT) - steps)
    if style.preparation:
        cents += style.preparation * (_second_order(steps[::-1], frame_s, *PREPARATION)[::-1] - steps)
    for note in melody.sung_notes:
        if style.vibrato_extent_cents <= 0:
            break
        inside = (times >= note.onset) & (times < note.end)
        since = times[inside] - note.onset
        ramp = np.clip((since - style.vibrato_delay_s) / 0.15, 0.0, 1.0)
        cents[inside] += style.vibrato_extent_cents * ramp * np.sin(2 * np.pi * style.vibrato_rate_hz * since)
    if style.fluctuation_cents > 0:
        cents += _fluctuation(n_frames, frame_s, style.fluctuation_cents, seed)
    return np.where(sung, 440.0 * 2 ** (cents / 1200), 0.0)


def _fluctuation(n: int, frame_s: float, std_cents: float, seed: int) -> np.ndarray:
    """Slow random drift: white noise low-passed at 8 Hz, scaled to ``std_cents``."""
    from scipy.signal import butter, filtfilt

    noise = np.random.default_rng(seed).standard_normal(n + 64)
    b, a = butter(2, min(0.99, 8.0 * 2 * frame_s))
    drift = filtfilt(b, a, noise)[32 : 32 + n]
    return std_cents * drift / (np.std(drift) + 1e-12)
