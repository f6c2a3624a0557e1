"""The phoneme recognizer's parts on tiny inputs made here: shapes, augmentation, learning, checkpoints, PER."""

from __future__ import annotations

import itertools
import json
import math
import os

import numpy as np
import pytest
import torch

from evaluation.intelligibility import phone_error_rate
from models.base import CheckpointError
from models.corpus.phones import PHONES
from models.features import PPG_MEL, Audio
from models.ppg import augment
from models.ppg.data import SIL_INDEX, Utterance, frame_labels
from models.ppg.model import PhoneRecognizerNet, PPGConfig
from models.ppg.recognizer import PhoneRecognizer, best_path, segments
from models.ppg.train import PPGTask

SMALL = PPGConfig(channels=32, conv_layers=2, gru_hidden=16, dropout=0.0)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HELDOUT = os.path.join(ROOT, "tests", "data", "heldout_synthetic")


@pytest.fixture(autouse=True)
def one_thread():
    """These tiny models run fastest on one thread; on a busy machine more threads only wait on each other."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize("frames", [1, 2, 7, 160, 333])
def test_model_gives_one_row_of_logits_per_frame(frames):
    net = PhoneRecognizerNet(SMALL).eval()
    assert net(torch.randn(3, 80, frames)).shape == (3, len(PHONES), frames)


def test_a_padded_item_gets_the_logits_it_gets_alone():
    torch.manual_seed(0)
    net = PhoneRecognizerNet(SMALL).eval()
    mel = torch.randn(2, 80, 101)
    with torch.no_grad():
        padded = net(mel, torch.tensor([101, 57]))
        alone = net(mel[1:2, :, :57])
    torch.testing.assert_close(padded[1, :, :57], alone[0], atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize(("seconds", "sr"), [(0.3, 16000), (1.234, 16000), (0.77, 22050)])
def test_posteriorgram_of_any_audio_is_a_distribution_per_10_ms_frame(seconds, sr, rng):
    recognizer = PhoneRecognizer(PhoneRecognizerNet(SMALL))
    audio = Audio((0.1 * rng.standard_normal(int(seconds * sr))).astype(np.float32), sr)
    posteriors = recognizer.posteriorgram(audio)
    assert posteriors.shape == (PPG_MEL.n_frames(round(seconds * 16000)), 40)
    assert posteriors.dtype == np.float32 and np.allclose(posteriors.sum(axis=1), 1, atol=1e-5)
    spans = recognizer.phones(audio)
    assert spans[0][0] == 0 and spans[-1][1] == pytest.approx(len(posteriors) * 0.01)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(spans))
    assert "SIL" not in recognizer.recognize_phones(audio)


def test_frame_labels_take_the_phone_at_each_frame_centre():
    # frames of 10 ms: centres 5, 15, 25, 35, 45 ms; uncovered frames are SIL
    labels = frame_labels([(0.0, 0.02, "K"), (0.02, 0.031, "AE")], 5)
    assert [PHONES[i] for i in labels] == ["K", "K", "AE", "SIL", "SIL"]
    assert labels[-1] == SIL_INDEX


def test_segments_are_the_runs_of_a_path():
    k, ae, t = PHONES.index("K"), PHONES.index("AE"), PHONES.index("T")
    assert segments([k, k, ae, ae, ae, t], 0.01) == [(0.0, 0.02, "K"), (0.02, 0.05, "AE"), (0.05, 0.06, "T")]
    assert segments([], 0.01) == []


def _brute_force_path(logp: np.ndarray, penalty: float) -> tuple:
    frames, classes = logp.shape
    scored = (
        (
            sum(logp[t, c] for t, c in enumerate(path))
            - penalty * sum(a != b for a, b in itertools.pairwise(path)),
            path,
        )
        for path in itertools.product(range(classes), repeat=frames)
    )
    return max(scored)[1]


@pytest.mark.parametrize("penalty", [0.0, 0.7, 2.0, 50.0])
def test_best_path_is_the_brute_force_optimum(penalty):
    rng = np.random.default_rng(int(penalty * 10))
    posteriors = rng.dirichlet(np.ones(3) * 0.5, size=6)
    path = best_path(posteriors, switch_penalty=penalty)
    logp = np.log(posteriors + 1e-10)
    assert tuple(path) == _brute_force_path(logp, penalty)
    if penalty == 0:
        assert np.array_equal(path, posteriors.argmax(axis=1))
    if penalty == 50:
        assert len(set(path.tolist())) == 1


def test_best_path_removes_a_one_frame_flicker():
    posteriors = np.full((9, 40), 0.001)
    posteriors[:, 0] = 0.9
    posteriors[4] = 0.001
    posteriors[4, 5] = 0.6
    posteriors[4, 0] = 0.3
    assert best_path(posteriors, switch_penalty=0)[4] == 5
    assert np.all(best_path(posteriors, switch_penalty=2.0) == 0)


def test_phone_error_rate_on_known_strings():
    assert phone_error_rate(hypothesis=["K", "AE", "T"], reference=["K", "AE", "T"]) == 0
    assert phone_error_rate(hypothesis=["K", "AH", "T"], reference=["K", "AE", "T"]) == pytest.approx(1 / 3)
    assert phone_error_rate(hypothesis=["K", "T"], reference=["K", "AE", "T"]) == pytest.approx(1 / 3)
    assert phone_error_rate(hypothesis=["SIL", "K", "AE", "AE", "T", "SIL"], reference=["K", "AE", "T"]) == 0
    assert phone_error_rate(hypothesis=["IH", "N", "N", "UW"], reference=["IH", "N", "UW"]) == 0
    assert phone_error_rate(
        hypothesis=["S", "K", "AE", "T", "S"], reference=["K", "AE", "T"]
    ) == pytest.approx(2 / 3)
    assert phone_error_rate(hypothesis=["A", "B", "C", "D"], reference=["K"]) == 4  # may exceed 1
    assert math.isnan(phone_error_rate(hypothesis=["K"], reference=["SIL"]))


def _peaked_mel(peak_bin: int, frames: int = 20) -> torch.Tensor:
    mel = torch.full((80, frames), -8.0)
    mel[peak_bin] = 0.0
    return mel


def test_identity_warps_and_envelope_split_leave_the_frame_alone():
    mel = torch.randn(80, 30)
    torch.testing.assert_close(augment.warp_matrix(1.0) @ mel, mel)
    envelope, fine = augment.split_envelope(mel)
    torch.testing.assert_close(envelope + fine, mel)
    torch.testing.assert_close(
        augment.warp_voice(mel, formant_ratio=1.0, pitch_ratio=1.0), mel, atol=1e-5, rtol=0
    )


def test_a_formant_warp_above_one_moves_energy_up_in_frequency():
    mel = _peaked_mel(30)
    raised = (augment.warp_matrix(1.2) @ mel)[:, 0]
    lowered = (augment.warp_matrix(0.85) @ mel)[:, 0]
    assert int(lowered.argmax()) < 30 < int(raised.argmax())


def test_noise_lowpass_and_tempo_do_what_they_say(rng):
    mel = torch.from_numpy(np.log(np.maximum(rng.uniform(0, 1, (80, 50)), 1e-5)).astype(np.float32))
    noisy = augment.add_noise(mel, rng, snr_db=0.0)
    assert torch.all(noisy >= mel - 1e-4) and noisy.mean() > mel.mean() + 0.2
    cut = augment.lowpass(mel, 4000.0)
    above = augment._bin_hz() > 4000
    assert torch.all(cut[above] == augment.FLOOR) and torch.equal(cut[~above], mel[~above])
    labels = np.arange(50)
    same, same_labels = augment.tempo_crop(mel.numpy(), labels, rng, frames=20, rate=1.0)
    start = int(same_labels[0])
    np.testing.assert_allclose(same, mel.numpy()[:, start : start + 20], atol=1e-6)
    fast, fast_labels = augment.tempo_crop(mel.numpy(), labels, rng, frames=20, rate=2.0)
    assert fast.shape == (80, 20) and np.all(np.diff(fast_labels) == 2)
    masked = augment.augment(mel, rng, augment.AugmentConfig(p_mask=1.0))
    assert masked.shape == mel.shape and torch.isfinite(masked).all()


def _tiny_task(augmentation=None) -> PPGTask:
    """Two utterances whose phone is written in the spectrum: one bright bin per phone."""
    rng = np.random.default_rng(0)
    utterances = []
    for _ in range(2):
        labels = np.repeat(rng.integers(0, 40, 12), 10)
        mel = np.full((80, len(labels)), -6.0, dtype=np.float32) + 0.1 * rng.standard_normal(
            (80, len(labels))
        )
        mel[2 * labels, np.arange(len(labels))] = 0.0
        utterances.append(Utterance(mel.astype(np.float16), labels, "speech", "tiny"))
    return PPGTask(utterances, config=SMALL, augmentation=augmentation)


def test_loss_falls_on_a_tiny_batch():
    torch.manual_seed(0)
    task = _tiny_task()
    batch = task.batch(np.random.default_rng(1), 2)
    optimizer = torch.optim.Adam(task.model.parameters(), lr=0.01)
    first = task.loss(batch)[0].item()
    for _ in range(15):
        loss, metrics = task.loss(batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.5 * first and metrics["acc"] > 0.5, (first, loss.item(), metrics)


def test_augmented_batches_have_one_crop_length_and_valid_labels():
    task = _tiny_task(augment.AugmentConfig())
    batch = task.batch(np.random.default_rng(2), 5)
    assert batch["lengths"] is None and batch["mel"].shape[:2] == (5, 80)
    assert batch["labels"].shape == (5, batch["mel"].shape[2]) and int(batch["labels"].min()) >= 0
    assert torch.isfinite(batch["mel"]).all()


def test_checkpoint_round_trip(tmp_path):
    task = _tiny_task()
    path = str(tmp_path / "ppg.pt")
    task.save(path, train_info={"steps": 0})
    loaded = PhoneRecognizer.from_checkpoint(path)
    mel = np.random.default_rng(3).standard_normal((80, 45)).astype(np.float32)
    task.model.eval()
    with torch.no_grad():
        expected = torch.softmax(task.model(torch.from_numpy(mel)[None])[0], 0).T.numpy()
    np.testing.assert_allclose(loaded.posteriorgram_of_mel(mel), expected, atol=1e-6)
    parekh = os.path.join(ROOT, "models", "checkpoints", "parekh-p-mtl.pt")
    with pytest.raises(CheckpointError, match="not 'ppg'"):
        PhoneRecognizer.from_checkpoint(parekh)


def test_training_cli_trains_and_writes_a_loadable_checkpoint(tmp_path):
    from models.training.__main__ import main

    rows = []
    with open(os.path.join(HELDOUT, "manifest.jsonl"), encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            row["split"] = "train"
            for key in ("speech_wav", "singing_wav"):
                row[key] = os.path.abspath(os.path.join(HELDOUT, row[key]))
            rows.append(json.dumps(row))
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "manifest.jsonl").write_text("\n".join(rows) + "\n")
    out = str(tmp_path / "run")
    args = ["ppg", "--corpus", str(corpus), "--cache", "", "--out", out, "--steps", "2", "--batch", "2"]
    assert main([*args, "--threads", "1"]) == 0
    recognizer = PhoneRecognizer.from_checkpoint(os.path.join(out, "ppg.pt"))
    assert recognizer.posteriorgram(Audio(np.zeros(3200, np.float32) + 0.01, 16000)).shape == (20, 40)
