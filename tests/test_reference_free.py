"""Reference-free scores on signals whose answer is known: a tone on the melody's pitches, one a semitone off,
one an octave up; a half-silent tone; a falling glide; the same voice twice and two different voices."""

from __future__ import annotations

import math

import numpy as np
import pytest

from evaluation import reference_free
from evaluation.reference_free import (
    SCORES,
    describe,
    melody_pitch_accuracy,
    output_track,
    reference_free_scores,
)
from models.features import Audio, F0Track, load_audio
from models.melody import Melody, midi_to_hz, parse_note_text
from tests.conftest import ROOT, SPEECH_EXAMPLE

SR = 22050
MELODY = parse_note_text("tempo=120: C4/4 D4/4 E4/4 G4/4")  # four notes of 0.5 s


def tone(hz_per_sample: np.ndarray, sr: int = SR) -> Audio:
    """A harmonic tone (three partials) following ``hz_per_sample``; silent where it is 0."""
    phase = 2 * np.pi * np.cumsum(hz_per_sample) / sr
    wave = sum(a * np.sin(k * phase) for k, a in ((1, 1.0), (2, 0.5), (3, 0.25)))
    return Audio((0.3 * wave * (hz_per_sample > 0)).astype(np.float32), sr)


def sung(melody: Melody, semitones: float = 0.0, sr: int = SR) -> Audio:
    """The melody's notes as a tone, ``semitones`` away from where they are written."""
    hz = np.zeros(int(melody.duration * sr))
    for note in melody.sung_notes:
        hz[int(note.onset * sr) : int(note.end * sr)] = midi_to_hz(note.midi + semitones)
    return tone(hz, sr)


def test_a_tone_on_the_melody_scores_one_and_a_semitone_off_scores_zero():
    on = reference_free_scores(sung(MELODY), melody=MELODY, learned=False)
    assert on["pitch_accuracy"] > 0.95 and on["melody_octave_shift"] == 0
    off = reference_free_scores(sung(MELODY, semitones=1), melody=MELODY, learned=False)
    assert off["pitch_accuracy"] < 0.05
    quarter = reference_free_scores(sung(MELODY, semitones=0.25), melody=MELODY, learned=False)
    assert quarter["pitch_accuracy"] > 0.95  # 25 cents: inside the 50-cent tolerance


def test_a_melody_sung_an_octave_up_counts_and_the_shift_is_said():
    scores = reference_free_scores(sung(MELODY, semitones=12), melody=MELODY, learned=False)
    assert scores["pitch_accuracy"] > 0.95 and scores["melody_octave_shift"] == 1
    assert "+1" in describe("melody_octave_shift", scores["melody_octave_shift"])


def test_a_melody_that_follows_a_recorded_contour_is_scored_against_the_contour():
    times = np.arange(200) * 0.01  # 2 s at a 10 ms hop: a vibrato around A3
    hz = 220.0 * 2 ** (0.5 / 12 * np.sin(2 * np.pi * 5.5 * times))
    melody = Melody(MELODY.notes, recorded=F0Track(times, hz))
    contour = melody.contour(1 / SR).hz
    rpa, shift = melody_pitch_accuracy(output_track(tone(contour)), melody)
    assert rpa > 0.9 and shift == 0
    # the same tone scored against the notes alone misses: the contour is what it follows
    assert melody_pitch_accuracy(output_track(tone(contour)), melody.as_notes())[0] < 0.1


def test_voiced_fraction_and_duration_ratio():
    hz = np.zeros(2 * SR)
    hz[:SR] = 220.0  # one second of tone, one of silence
    scores = reference_free_scores(tone(hz), source=Audio(np.zeros(4 * SR, np.float32), SR), learned=False)
    assert abs(scores["voiced_fraction"] - 0.5) < 0.05
    assert scores["duration_ratio"] == pytest.approx(0.5)
    assert "pitch_accuracy" not in scores and "speaker_similarity" not in scores


def test_speech_like_intonation_of_a_falling_glide():
    seconds = 2.0
    hz = 200.0 * 2 ** (-6 / 12 * np.arange(int(seconds * SR)) / (seconds * SR))  # falls 6 semitones
    scores = reference_free_scores(tone(hz), speech_like=True, learned=False)
    assert scores["declination_st_per_s"] == pytest.approx(-3.0, abs=0.3)
    assert scores["f0_range_st"] == pytest.approx(0.9 * 6, abs=0.5)  # 5th–95th percentile span


def test_learned_scores_know_a_voice_and_rate_quality_on_their_scale():
    slt = load_audio(SPEECH_EXAMPLE)
    awb = load_audio(f"{ROOT}/examples/speech_arctic_awb_a0007.wav")
    same = reference_free_scores(slt, source=slt)
    other = reference_free_scores(awb, source=slt)
    assert same["speaker_similarity"] > 0.99
    assert other["speaker_similarity"] < same["speaker_similarity"] - 0.1
    assert 1.0 <= same["dnsmos_ovrl"] <= 5.0
    # where a score cannot be counted (no speech left after the encoder's trimming) it says so
    assert describe("speaker_similarity", math.nan) == (
        "speaker similarity to the input **n/a** cosine of Resemblyzer embeddings (↑)"
    )


def test_learned_scores_are_left_out_when_their_package_is_missing(monkeypatch):
    monkeypatch.setattr(reference_free.importlib.util, "find_spec", lambda name: None)
    assert set(reference_free.unavailable_scores()) == {"speaker_similarity", "dnsmos_ovrl"}
    scores = reference_free_scores(sung(MELODY), source=sung(MELODY), learned=True)
    assert "speaker_similarity" not in scores and "dnsmos_ovrl" not in scores


def test_every_score_is_described_with_its_unit_and_direction():
    assert describe("pitch_accuracy", 0.912) == (
        "pitch accuracy vs melody **0.91** of note frames within 50 cents (fast F0 tracker) (↑)"
    )
    for key, info in SCORES.items():
        text = describe(key, 1.0)
        assert info.unit in text and text.endswith(f"({info.arrow})")
