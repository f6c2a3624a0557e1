"""Augmentation of AlignSTS training crops, so a real singer's contour and a new voice are in distribution.

What the contour carries that a singer adds — vibrato, scoops, overshoot, drift — is already in the
training singing itself (rendered into the synthetic corpus's sung F0, models/corpus/pairs.py, and real
in PJS), so the target sings what the contour says. Changing the contour without the target would teach
the model to ignore those details; so the augmentation here either moves both together or only touches
what the target does not depend on:

- **shift** (target, contour and speaker vector together): every frequency scaled by up to ±1 semitone —
  a tape-speed change, pitch and formants moving as one — so a voice or tuning between PJS's singer and
  the synthetic speakers is in distribution (tuning offsets of ±50 cents are inside it);
- **step contour**: a quarter of the crops are conditioned on their notes' step contour instead of the
  sung one, so a melody given as notes is in distribution as well as a followed recording;
- **tracker noise** (contour only): per-frame jitter (about 8 cents) and short unvoiced gaps at note
  onsets, where the consonant stops an F0 tracker (25–70 ms, at 30 % of onsets);
- **channel** (speaker vector only): a smooth ±6 dB EQ, as another microphone would colour the speech.
"""

from __future__ import annotations

import numpy as np

from models.alignsts.features import MEL_SPEC
from models.melody import midi_to_hz

SHIFT_SEMITONES = 1.0
STEP_CONTOUR_SHARE = 0.25
JITTER_CENTS = 8.0
GAP_SHARE, GAP_FRAMES = 0.3, (2, 6)
EQ_DB, EQ_BANDS = 6.0, 4


def mel_bin_hz() -> np.ndarray:
    """(M,) centre frequencies of the output mel bins (librosa's filters put M + 2 edges over the band)."""
    import librosa

    return librosa.mel_frequencies(MEL_SPEC.n_mels + 2, fmin=MEL_SPEC.fmin, fmax=MEL_SPEC.fmax)[1:-1]


def shift_mel(mel: np.ndarray, factor: float, centres: np.ndarray) -> np.ndarray:
    """(M, T) log mel with every frequency scaled by ``factor`` (bin k reads the source at f_k / factor,
    linearly between bins; above the source's top bin, its top bin)."""
    source = np.interp(centres / factor, centres, np.arange(len(centres)))
    low = np.floor(source).astype(int)
    high = np.minimum(low + 1, len(centres) - 1)
    frac = (source - low)[:, None]
    return (mel[low] * (1 - frac) + mel[high] * frac).astype(mel.dtype)


def step_contour(notes: np.ndarray) -> np.ndarray:
    """(T,) Hz of note tokens (MIDI + 1, 0 in rests)."""
    return np.where(notes > 0, midi_to_hz(np.maximum(notes.astype(np.float64) - 1, 0)), 0.0)


def tracker_noise(hz: np.ndarray, onsets: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``hz`` with smoothed per-frame jitter and short unvoiced gaps starting at some note onsets."""
    noise = np.convolve(rng.normal(0, JITTER_CENTS * np.sqrt(3), len(hz)), np.ones(3) / 3, mode="same")
    out = np.where(hz > 0, hz * 2 ** (noise / 1200), 0.0)
    for start in np.flatnonzero(onsets):
        if rng.random() < GAP_SHARE:
            out[start : start + int(rng.integers(GAP_FRAMES[0], GAP_FRAMES[1] + 1))] = 0.0
    return out


def random_eq(rng: np.random.Generator, n_bins: int) -> np.ndarray:
    """(M,) a smooth gain curve in nats (log mel is natural log): ±EQ_DB at EQ_BANDS + 1 points."""
    points = rng.uniform(-EQ_DB, EQ_DB, EQ_BANDS + 1)
    curve_db = np.interp(np.arange(n_bins), np.linspace(0, n_bins - 1, EQ_BANDS + 1), points)
    return (curve_db / 20 * np.log(10)).astype(np.float32)


def augment_crop(crop: dict, rng: np.random.Generator, centres: np.ndarray) -> dict:
    """A training crop (its ``f0`` in Hz) augmented as the module docstring says; returns a new dict."""
    out = dict(crop)
    hz = step_contour(crop["notes"]) if rng.random() < STEP_CONTOUR_SHARE else crop["f0"].astype(np.float64)
    factor = 2 ** (rng.uniform(-SHIFT_SEMITONES, SHIFT_SEMITONES) / 12)
    out["mel"] = shift_mel(crop["mel"].astype(np.float32), factor, centres)
    speaker = shift_mel(crop["speaker"].astype(np.float32)[:, None], factor, centres)[:, 0]
    out["speaker"] = speaker + random_eq(rng, len(speaker))
    out["f0"] = tracker_noise(hz * factor, crop["onsets"], rng).astype(np.float32)
    return out
