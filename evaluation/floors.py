"""Floors that need nothing trained: what a speech-to-singing model must beat (ARCHITECTURE.md)."""

from __future__ import annotations

import numpy as np

from models import features
from models.features import Audio
from models.melody import midi_to_hz


def stretched_input(speech: Audio, n_samples: int) -> Audio:
    """The input speech, uniformly phase-vocoder stretched to the singing's length (the paper's input)."""
    return features.stretch_to_length(speech, n_samples)


def sine_at_notes(notes: list, n_samples: int, sr: int) -> Audio:
    """A sine at each note's pitch over the note (silent in rests), 10 ms fades, at −12 dBFS."""
    t = np.arange(n_samples) / sr
    out = np.zeros(n_samples, dtype=np.float64)
    for midi, onset, duration in notes:
        if midi is None:
            continue
        inside = (t >= onset) & (t < onset + duration)
        local = t[inside] - onset
        fade = np.minimum(1.0, np.minimum(local, duration - local) / 0.01)
        out[inside] = 0.25 * fade * np.sin(2 * np.pi * float(midi_to_hz(midi)) * local)
    return Audio(out.astype(np.float32), sr)
