"""The WORLD bench's helper that fits a tune to Festival's syllable count (one note per syllable)."""

import itertools

import pytest

from evaluation.tables.world_sts import notes_for_syllables
from models.melody import Melody, Note

TUNE = Melody((Note(60, 0.0, 0.5), Note(None, 0.5, 0.5), Note(62, 1.0, 0.5), Note(64, 1.5, 1.0)), name="t")


@pytest.mark.parametrize("syllables", [1, 2, 3, 4, 6])
def test_exactly_one_note_per_syllable_in_order(syllables):
    notes = notes_for_syllables(TUNE, syllables)
    assert len(notes) == syllables
    assert all(midi is not None for midi, _, _ in notes)
    assert all(a[1] < b[1] for a, b in itertools.pairwise(notes))


def test_left_over_notes_lengthen_the_last_syllable_and_a_short_tune_splits_its_last_note():
    assert notes_for_syllables(TUNE, 2) == [(60, 0.0, 0.5), (62, 1.0, 1.5)]
    assert notes_for_syllables(TUNE, 4) == [(60, 0.0, 0.5), (62, 1.0, 0.5), (64, 1.5, 0.5), (64, 2.0, 0.5)]
