"""The Vocos-style vocoder: its overlap-add inverts HiFi-GAN's framing, shapes follow the mel, a few
training steps lower the loss, and a saved checkpoint loads back as a vocoder."""

import math

import numpy as np
import pytest
import torch

from evaluation.synthetic import chirp
from models import features, vocoders
from models.features import HIFIGAN_MEL
from models.vocos.model import VocosConfig, VocosGenerator, overlap_add
from models.vocos.train import VocosTask, anti_wrapped

SMALL = VocosConfig(channels=32, intermediate=64, layers=2)


def test_overlap_add_inverts_the_framing_of_the_mel(rng):
    samples = rng.standard_normal(256 * 40).astype(np.float32)
    padded = np.pad(samples, HIFIGAN_MEL.pad, mode="reflect")
    window = torch.hann_window(1024)
    spectrum = torch.stft(
        torch.from_numpy(padded)[None], 1024, 256, 1024, window, center=False, return_complex=True
    )
    assert spectrum.shape[-1] == HIFIGAN_MEL.n_frames(len(samples)) == 40
    rebuilt = overlap_add(spectrum, window, 256)[0].numpy()
    np.testing.assert_allclose(rebuilt, samples, atol=1e-5)


def test_the_waveform_has_one_hop_per_mel_frame():
    network = VocosGenerator(SMALL).eval()
    with torch.inference_mode():
        assert network(torch.randn(2, 80, 37)).shape == (2, 37 * 256)


def test_anti_wrapping_measures_phase_error_on_the_circle():
    errors = torch.tensor([0.0, 2 * math.pi, -2 * math.pi + 0.1, math.pi, 3 * math.pi - 0.2])
    np.testing.assert_allclose(
        anti_wrapped(errors).numpy(), [0.0, 0.0, 0.1, math.pi, math.pi - 0.2], atol=1e-5
    )


def _recordings() -> list[np.ndarray]:
    audio = chirp(200.0, 800.0, seconds=2.0, sr=22050).audio
    frames = len(audio.samples) // 256
    return [np.pad(audio.samples[: frames * 256], HIFIGAN_MEL.pad, mode="reflect")]


def test_a_few_training_steps_lower_the_loss():
    torch.manual_seed(0)
    task = VocosTask(_recordings(), config=SMALL)
    optimizer = torch.optim.Adam(task.model.parameters(), lr=3e-3)
    batch = task.batch(np.random.default_rng(0), 4)
    first, metrics = task.loss(batch)
    assert set(metrics) == {"log_mag", "ip", "gd", "iaf", "stft"}
    for _ in range(30):
        loss, _ = task.loss(batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert task.loss(batch)[0].item() < 0.8 * first.item()


def test_the_mel_the_task_trains_on_is_the_one_the_app_computes():
    task = VocosTask(_recordings(), config=SMALL)
    batch = task.batch(np.random.default_rng(1), 1)
    wave = batch["wave"][0].numpy()
    # the crop's own mel, away from its edges (where the crop sees its neighbours and log_mel reflects)
    np.testing.assert_allclose(
        batch["mel"][0, :, 4:-4].numpy(), features.log_mel(features.Audio(wave, 22050))[:, 4:-4], atol=0.02
    )


def test_a_saved_checkpoint_loads_back_as_a_vocoder(tmp_path):
    task = VocosTask(_recordings(), config=SMALL)
    path = tmp_path / "vocos.pt"
    task.save(str(path), train_info={"steps": 0})
    vocoder = vocoders.VocosVocoder.from_checkpoint(str(path))
    mel = features.log_mel(chirp(200.0, 800.0, seconds=1.0, sr=22050).audio)
    out = vocoder.synthesize(mel)
    assert out.sr == 22050 and len(out.samples) == mel.shape[1] * 256
    assert np.all(np.abs(out.samples) <= 1.0)


@pytest.mark.parametrize("frames", [0, 1])
def test_an_empty_or_one_frame_mel_is_not_an_error(frames):
    vocoder = vocoders.VocosVocoder(VocosGenerator(SMALL).eval())
    assert len(vocoder.synthesize(np.full((80, frames), -11.5, np.float32)).samples) == frames * 256
