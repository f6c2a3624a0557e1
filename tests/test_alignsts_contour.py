"""AlignSTS conditioned on the F0 contour: the coarse F0 bins, the pitch tokens a melody gives, the
augmentation of training crops (what moves together and what does not), and a contour model end to end."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from models.alignsts import augment
from models.alignsts.converter import AlignSTSConverter
from models.alignsts.features import F0_BINS, coarse_f0, melody_frames, pitch_tokens
from models.alignsts.model import AlignSTSConfig
from models.alignsts.train import AlignSTSTask
from models.melody import F0Track, Melody, Note, midi_to_hz, parse_note_text
from tests.test_alignsts import SMALL, speech_like, synthetic_example


def test_coarse_f0_bins_are_log_spaced_and_zero_where_unvoiced():
    bins = coarse_f0(np.array([0.0, 50.0, 1100.0, 20.0, 5000.0, 220.0, 220.0 * 2 ** (1 / 12)]))
    assert list(bins[:5]) == [0, 1, F0_BINS - 1, 1, F0_BINS - 1]  # the range's ends, clipped outside it
    cents_per_bin = 1200 * np.log2(1100 / 50) / (F0_BINS - 2)
    assert 20 < cents_per_bin < 22
    assert abs((bins[6] - bins[5]) - 100 / cents_per_bin) <= 1  # a semitone is 4.7 bins, rounded


def test_pitch_tokens_follow_a_recorded_contour_or_the_notes():
    notes = (Note(60, 0.0, 0.5), Note(None, 0.5, 0.2), Note(64, 0.7, 0.5))
    n = melody_frames(Melody(notes))
    steps, onsets = pitch_tokens(Melody(notes), n, "contour")
    assert onsets.sum() == 2
    assert steps[5] == coarse_f0(np.array([midi_to_hz(60)]))[0] and steps[n - 3] > steps[5]
    assert (steps[50:58] == 0).all()  # the rest is unvoiced
    as_notes, _ = pitch_tokens(Melody(notes), n, "notes")
    assert as_notes[5] == 61  # the first checkpoints' input: MIDI + 1
    # a recorded contour with vibrato: the tokens move within the note
    times = np.arange(110) * 0.0116
    vibrato = midi_to_hz(60) * 2 ** (0.5 * np.sin(2 * np.pi * 5.5 * times) / 12)
    followed = Melody(notes, recorded=F0Track(times=times, hz=vibrato))
    tokens, _ = pitch_tokens(followed, n, "contour")
    assert tokens[:40].max() - tokens[:40].min() >= 4  # ±50 cents of vibrato spans about 5 bins


def test_shift_moves_target_contour_and_speaker_by_the_same_factor():
    centres = augment.mel_bin_hz()
    k = 30
    mel = np.full((80, 4), -10.0, np.float32)
    mel[k] = 0.0
    shifted = augment.shift_mel(mel, 2 ** (1 / 12), centres)
    weight = shifted[:, 0] + 10.0  # above the floor
    peak = float(np.sum(np.arange(80) * weight) / np.sum(weight))
    expected = float(np.interp(centres[k] * 2 ** (1 / 12), centres, np.arange(80)))
    assert abs(peak - expected) < 0.5
    assert np.array_equal(augment.shift_mel(mel, 1.0, centres), mel)


def test_augmented_crop_keeps_target_and_contour_in_tune(monkeypatch):
    monkeypatch.setattr(augment, "STEP_CONTOUR_SHARE", 0.0)
    monkeypatch.setattr(augment, "GAP_SHARE", 0.0)
    monkeypatch.setattr(augment, "JITTER_CENTS", 0.0)
    example = synthetic_example(np.random.default_rng(0), 60, 30)
    rng = np.random.default_rng(4)
    out = augment.augment_crop(example, rng, augment.mel_bin_hz())
    voiced = example["f0"] > 0
    ratios = out["f0"][voiced] / example["f0"][voiced]
    assert np.allclose(ratios, ratios[0], rtol=1e-5) and 2 ** (-1 / 12) <= ratios[0] <= 2 ** (1 / 12)
    expected_mel = augment.shift_mel(
        example["mel"].astype(np.float32), float(ratios[0]), augment.mel_bin_hz()
    )
    assert np.allclose(out["mel"], expected_mel, atol=1e-3)
    assert not np.allclose(out["speaker"], example["speaker"])  # shifted and coloured
    assert np.array_equal(out["notes"], example["notes"]) and out["mel"].shape == example["mel"].shape


def test_tracker_noise_gaps_start_at_onsets_and_jitter_stays_small(monkeypatch):
    monkeypatch.setattr(augment, "GAP_SHARE", 1.0)
    hz = np.full(200, 220.0)
    onsets = np.zeros(200, np.int8)
    onsets[[20, 100]] = 1
    out = augment.tracker_noise(hz, onsets, np.random.default_rng(1))
    unvoiced = np.flatnonzero(out == 0)
    assert set(unvoiced) <= set(range(20, 27)) | set(range(100, 107)) and 20 in unvoiced and 100 in unvoiced
    cents = 1200 * np.log2(out[out > 0] / 220.0)
    assert 2 < np.std(cents) < 15 and np.abs(cents).max() < 60


def test_step_contour_share_uses_the_notes(monkeypatch):
    monkeypatch.setattr(augment, "STEP_CONTOUR_SHARE", 1.0)
    monkeypatch.setattr(augment, "JITTER_CENTS", 0.0)
    monkeypatch.setattr(augment, "GAP_SHARE", 0.0)
    example = synthetic_example(np.random.default_rng(0), 60, 30)
    example["f0"] = example["f0"] * 1.5  # a contour that is not the notes'
    out = augment.augment_crop(example, np.random.default_rng(2), augment.mel_bin_hz())
    steps = augment.step_contour(example["notes"])
    ratio = out["f0"][steps > 0] / steps[steps > 0]
    assert np.allclose(ratio, ratio[0], rtol=1e-5) and abs(np.log2(ratio[0])) <= 1 / 12 + 1e-6


@pytest.fixture(scope="module")
def contour_checkpoint(tmp_path_factory):
    rng = np.random.default_rng(5)
    examples = [[synthetic_example(rng, 48, 24)], [synthetic_example(rng, 40, 20)]]
    task = AlignSTSTask(
        examples,
        config=AlignSTSConfig(pitch_input="contour", **SMALL),
        corpus_info={"corpora": [{"licenses": []}, {"licenses": ["CC BY-SA 4.0"]}], "shares": [0.5, 0.5]},
        shares=[0.5, 0.5],
        augment=True,
    )
    batch = task.batch(np.random.default_rng(0), 4)
    assert batch["notes"].max() < F0_BINS and batch["notes"].shape[0] == 4
    loss, _ = task.loss(batch)
    assert torch.isfinite(loss)
    path = str(tmp_path_factory.mktemp("alignsts-contour") / "alignsts.pt")
    task.save(path, train_info={"steps": 0})
    return path


def test_contour_model_sings_a_recorded_contour_and_notes(contour_checkpoint):
    converter = AlignSTSConverter(contour_checkpoint)
    assert converter.config.pitch_input == "contour"
    options = converter.Options(vocoder="griffinlim", griffinlim_iterations=4)
    melody = parse_note_text("tempo=120 c4/4 e4/4 g4/2")
    result = converter.convert(speech_like(), melody=melody, options=options)
    assert abs(result.audio.duration - melody.duration) < 0.05
    assert any("F0 contour" in n and "real PJS" not in n for n in result.notes)
    times = np.arange(100) * 0.0116
    followed = Melody(melody.notes, recorded=F0Track(times=times, hz=np.full(100, 262.0)))
    result = converter.convert(speech_like(), melody=followed, options=options)
    assert any("reference's own pitch curve" in n for n in result.notes)
    assert not any("read as the" in n for n in result.notes)  # nothing was reduced to notes
