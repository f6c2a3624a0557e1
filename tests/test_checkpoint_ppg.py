"""Trained means trained (ARCHITECTURE.md) for the bundled phoneme recognizer (models/checkpoints/ppg.pt).

On the committed held-out test-split pairs of the training speakers' transforms (tests/data/heldout_synthetic,
never seen in training), speech and singing sides, its frame accuracy must be at least twice the floor of
always answering the most frequent label of those frames. The unseen transform (ked-u1) and the real-voice
set are scored in the model card.
"""

from __future__ import annotations

import os

import numpy as np

from evaluation.intelligibility import phone_error_rate
from models.corpus.manifest import read_manifest
from models.ppg.data import utterances_of
from models.ppg.recognizer import DEFAULT_CHECKPOINT, PhoneRecognizer, segments

HELDOUT = os.path.join(os.path.dirname(__file__), "data", "heldout_synthetic")


def heldout_utterances():
    pairs = [p for p in read_manifest(HELDOUT) if p.extra["speaker_kind"] == "training transform"]
    return [u for pair in pairs for u in utterances_of(HELDOUT, pair)]


def test_bundled_recognizer_beats_twice_the_most_frequent_phone_floor():
    assert os.path.isfile(DEFAULT_CHECKPOINT), "bundled checkpoint missing: models/checkpoints/ppg.pt"
    recognizer = PhoneRecognizer.from_checkpoint(DEFAULT_CHECKPOINT)
    utterances = heldout_utterances()
    assert {u.side for u in utterances} == {"speech", "singing"} and len(utterances) == 6
    labels = np.concatenate([u.labels for u in utterances])
    guesses = np.concatenate(
        [recognizer.posteriorgram_of_mel(u.mel.astype(np.float32)).argmax(axis=1) for u in utterances]
    )
    floor = np.bincount(labels).max() / len(labels)
    accuracy = float(np.mean(guesses == labels))
    assert accuracy >= 2 * floor, (accuracy, floor)


def test_bundled_recognizer_hears_more_phones_right_than_wrong_on_heldout_speech():
    recognizer = PhoneRecognizer.from_checkpoint(DEFAULT_CHECKPOINT)
    rates = []
    for u in heldout_utterances():
        if u.side != "speech":
            continue
        heard = [
            p for _, _, p in recognizer.decode(recognizer.posteriorgram_of_mel(u.mel.astype(np.float32)))
        ]
        truth = [p for _, _, p in segments(u.labels, recognizer.frame_seconds)]
        rates.append(phone_error_rate(hypothesis=heard, reference=truth))
    assert np.mean(rates) < 0.5, rates
