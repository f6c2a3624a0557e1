"""Which syllable sings which note, and where each lands in time.

The rule when counts differ: syllables and sung notes are paired in order and spread evenly —
with more notes than syllables, syllable k holds every note j with floor(j · S / N) = k (a melisma:
one vowel across several notes); with more syllables than notes, syllable k goes to note
floor(k · N / S), and the syllables sharing a note split its time in proportion to their vowel lengths.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.melody import Note


@dataclass(frozen=True)
class Slot:
    """Syllable ``syllable`` is sung from ``start`` to ``end`` (seconds of the output)."""

    syllable: int
    start: float
    end: float


def assign_syllables(vowel_seconds: list[float], notes: list[Note]) -> list[Slot]:
    """One slot per syllable, in order (see the module docstring for the rule)."""
    n_syl, n_notes = len(vowel_seconds), len(notes)
    if n_syl == 0 or n_notes == 0:
        raise ValueError("need at least one syllable and one note")
    if n_syl <= n_notes:
        groups: list[list[Note]] = [[] for _ in range(n_syl)]
        for j, note in enumerate(notes):
            groups[j * n_syl // n_notes].append(note)
        return [Slot(k, group[0].onset, group[-1].end) for k, group in enumerate(groups)]
    slots = []
    owners: list[list[int]] = [[] for _ in range(n_notes)]
    for k in range(n_syl):
        owners[k * n_notes // n_syl].append(k)
    for note, syllables in zip(notes, owners, strict=True):
        weights = [max(vowel_seconds[k], 1e-3) for k in syllables]
        t = note.onset
        for k, w in zip(syllables, weights, strict=True):
            share = note.duration * w / sum(weights)
            slots.append(Slot(k, t, t + share))
            t += share
    return slots
