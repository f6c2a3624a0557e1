"""Signals of known F0 for tests and benchmarks: sines, chirps, harmonic tones with vibrato and noise."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from models.features import Audio


@dataclass(frozen=True)
class KnownF0:
    """A signal and its true F0 as a function of time (Hz)."""

    name: str
    audio: Audio
    truth: Callable[[np.ndarray], np.ndarray]


def _from_f0(
    f0_of_t: Callable[[np.ndarray], np.ndarray],
    seconds: float,
    sr: int,
    harmonics: int,
    noise_db: float | None,
    seed: int,
    amplitude: float = 0.5,
) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    phase = 2 * np.pi * np.cumsum(f0_of_t(t)) / sr
    x = np.zeros_like(t)
    for k in range(1, harmonics + 1):
        below_nyquist = (k * f0_of_t(t)) < sr / 2
        x += below_nyquist * np.sin(k * phase) / k
    x *= amplitude / np.max(np.abs(x))
    if noise_db is not None:
        rng = np.random.default_rng(seed)
        noise = rng.standard_normal(len(x))
        x += noise * np.sqrt(np.mean(x**2) / 10 ** (noise_db / 10)) / np.std(noise)
    return x.astype(np.float32)


def sine(hz: float, *, seconds: float = 2.0, sr: int = 22050) -> KnownF0:
    return KnownF0(
        f"sine {hz:g} Hz",
        Audio(_from_f0(lambda t: np.full_like(t, hz), seconds, sr, 1, None, 0), sr),
        lambda t: np.full_like(t, hz, dtype=np.float64),
    )


def chirp(start_hz: float, stop_hz: float, *, seconds: float = 2.0, sr: int = 22050) -> KnownF0:
    """Exponential sweep: F0 moves at a constant rate in cents per second."""

    def f0(t):
        return start_hz * (stop_hz / start_hz) ** (np.asarray(t) / seconds)

    return KnownF0(f"chirp {start_hz:g}→{stop_hz:g} Hz", Audio(_from_f0(f0, seconds, sr, 1, None, 0), sr), f0)


def vibrato_tone(
    hz: float,
    *,
    rate_hz: float = 5.5,
    extent_cents: float = 50.0,
    harmonics: int = 12,
    noise_db: float | None = 20.0,
    seconds: float = 2.0,
    sr: int = 22050,
    seed: int = 0,
) -> KnownF0:
    """A harmonic tone (1/k amplitudes) with sinusoidal vibrato and white noise at ``noise_db`` SNR."""

    def f0(t):
        return hz * 2 ** (extent_cents * np.sin(2 * np.pi * rate_hz * np.asarray(t)) / 1200)

    label = f"harmonic {hz:g} Hz, vibrato ±{extent_cents:g} c, SNR {noise_db} dB"
    return KnownF0(label, Audio(_from_f0(f0, seconds, sr, harmonics, noise_db, seed), sr), f0)


def standard_set(sr: int = 22050) -> list[KnownF0]:
    """The signals the F0 tracker comparison and the F0 tests use."""
    return [
        *(sine(hz, sr=sr) for hz in (98.0, 220.0, 440.0, 880.0)),
        chirp(100.0, 600.0, sr=sr),
        chirp(500.0, 120.0, sr=sr),
        *(vibrato_tone(hz, sr=sr, seed=i) for i, hz in enumerate((110.0, 196.0, 330.0, 523.0))),
        vibrato_tone(262.0, noise_db=10.0, sr=sr, seed=9),
    ]


VOWEL_FORMANTS = {
    "a": (730, 1090, 2440),
    "i": (270, 2290, 3010),
    "u": (300, 870, 2240),
    "e": (530, 1840, 2480),
}


def vowel_chain(n_syllables: int = 8, *, f0_hz: float = 140.0, sr: int = 22050, seed: int = 0) -> Audio:
    """Speech-like syllables without words: formant-shaped harmonic vowels (120–220 ms) with a falling
    intonation, separated by short noise bursts standing in for consonants. Seeded."""
    rng = np.random.default_rng(seed)
    pieces = []
    for i in range(n_syllables):
        burst = 0.01 * rng.standard_normal(int(rng.uniform(0.04, 0.09) * sr))
        seconds = rng.uniform(0.12, 0.22)
        t = np.arange(int(seconds * sr)) / sr
        hz = f0_hz * 2 ** ((-2 * i / n_syllables + rng.uniform(-0.5, 0.5)) / 12)
        formants = VOWEL_FORMANTS["aieu"[i % 4]]
        vowel = np.zeros_like(t)
        for k in range(1, int(5000 / hz)):
            gain = sum(1 / (1 + ((k * hz - f) / 90.0) ** 2) for f in formants) / k**0.5
            vowel += gain * np.sin(2 * np.pi * k * hz * t + rng.uniform(0, 2 * np.pi))
        vowel *= np.sin(np.pi * t / seconds) ** 0.5
        pieces += [burst, vowel / np.max(np.abs(vowel)) * 0.4]
    pieces.append(np.zeros(int(0.05 * sr)))
    return Audio(np.concatenate(pieces).astype(np.float32), sr)
