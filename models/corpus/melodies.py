"""Melodies for the synthetic corpus: one note per syllable, with rests between some words.

Two sources: random walks on a major scale (a fresh tune per pair) and windows of real melodies — the
Essen folk songs of the music21 wheel when music21 is installed (models.corpus.essen, 8,462 tunes), else
the built-in public-domain tunes of models.melody. Real tunes are split by tune, so a melody of valid
or test never appears in train. Notes are drawn in the Festival voices' range (MIDI 45–60, male); the
speaker transform transposes them afterwards.
"""

from __future__ import annotations

import numpy as np

from models.corpus import essen
from models.melody import TUNES, tune

BASE_RANGE = (45, 60)
MAJOR = (0, 2, 4, 5, 7, 9, 11)
TUNE_SPLITS = {
    name: ("test" if i == len(TUNES) - 1 else "valid" if i == len(TUNES) - 2 else "train")
    for i, name in enumerate(TUNES)
}
REAL_TUNE_SHARE = 0.3
REST_BETWEEN_WORDS = 0.12

NoteSpan = tuple[int | None, float, float]


def _random_walk(n: int, rng: np.random.Generator) -> list[tuple[int, float]]:
    """(midi, beats) per syllable: a major-scale walk with small steps, the last note held longer."""
    tonic = int(rng.integers(BASE_RANGE[0], BASE_RANGE[0] + 8))
    degree = int(rng.integers(0, 5))
    values = (0.5, 1.0, 1.0, 1.0, 1.5, 2.0)
    out = []
    for i in range(n):
        midi = tonic + 12 * (degree // 7) + MAJOR[degree % 7]
        while midi > BASE_RANGE[1]:
            degree -= 7
            midi -= 12
        beats = 2.0 if i == n - 1 else float(values[rng.integers(len(values))])
        out.append((midi, beats))
        degree = max(0, degree + int(rng.choice((-2, -1, -1, 0, 1, 1, 2))))
    return out


def _real_tune(split: str, rng: np.random.Generator) -> tuple[str, list[tuple[int, float]]]:
    """A real tune of this split: its name and its pitched notes as (midi, length in any unit)."""
    folk = essen.tunes_by_split()[split]
    if folk:
        chosen = folk[rng.integers(len(folk))]
        return f"essen {chosen.name}", [(m, d) for m, d in chosen.notes if m is not None]
    names = [name for name, s in TUNE_SPLITS.items() if s == split]
    name = names[rng.integers(len(names))]
    return name, [(note.midi, note.duration) for note in tune(name).sung_notes]


def _tune_window(n: int, split: str, rng: np.random.Generator) -> tuple[str, list[tuple[int, float]]]:
    """(midi, beats) from a real tune of this split, cycling from a random start, moved into range."""
    name, sung = _real_tune(split, rng)
    beat = float(np.median([length for _, length in sung]))  # the tune's usual note counts as one beat
    start = int(rng.integers(len(sung)))
    picked = [sung[(start + i) % len(sung)] for i in range(n)]
    centre = int(np.median([midi for midi, _ in picked]))
    shift = int(rng.integers(50, 55)) - centre
    return name, [
        (int(np.clip(midi + shift, *BASE_RANGE)), min(length / beat, 4.0)) for midi, length in picked
    ]


def plan_melody(
    syllables_per_word: list[int], *, split: str, rng: np.random.Generator
) -> tuple[list[NoteSpan], str]:
    """Notes (midi or None, onset_s, dur_s) for the words, and the melody's source label."""
    n = sum(syllables_per_word)
    real = rng.random() < REAL_TUNE_SHARE
    source, pitches = _tune_window(n, split, rng) if real else ("random walk", _random_walk(n, rng))
    beat = 60.0 / float(rng.uniform(75, 130))
    notes: list[NoteSpan] = []
    t = 0.0
    k = 0
    for w, count in enumerate(syllables_per_word):
        if w > 0 and rng.random() < REST_BETWEEN_WORDS:
            rest = float(rng.uniform(0.15, 0.45))
            notes.append((None, round(t, 4), round(rest, 4)))
            t += rest
        for _ in range(count):
            midi, beats = pitches[k]
            k += 1
            dur = max(0.18, beats * beat)
            notes.append((midi, round(t, 4), round(dur, 4)))
            t += dur
    return notes, source
