"""The voice-style VAE: shapes, KL, strength, DTW pairing (incl. an effect it was not built for), training,
checkpoint, converter."""

from __future__ import annotations

import itertools
import json
import os

import numpy as np
import pytest
import torch

from models.base import load_checkpoint
from models.errors import CheckpointError
from models.features import HIFIGAN_MEL, Audio, log_mel
from models.training.loop import TrainConfig, train
from models.vae_style import converter as converter_module
from models.vae_style.align import align, frame_map, warp_to_clean
from models.vae_style.converter import VAEStyleConverter
from models.vae_style.data import PairsError, StylePair, load_pairs
from models.vae_style.model import StyleVAE, VAEConfig, kl_divergence, kl_weight, parameter_count
from models.vae_style.train import StyleTask
from tests.conftest import SPEECH_EXAMPLE

SR = HIFIGAN_MEL.sample_rate
HOP = HIFIGAN_MEL.hop_length
SMALL = VAEConfig(channels=(8, 8, 16), z_channels=4)


@pytest.mark.parametrize("frames", [4, 36, 64])
@pytest.mark.parametrize("residual", [True, False])
def test_shapes_for_both_modes(frames, residual):
    model = StyleVAE(VAEConfig(residual=residual)).eval()
    x = torch.randn(3, 80, frames)
    mode = torch.tensor([0.0, 1.0, 0.5])
    out, mu, logvar = model(x, mode)
    assert out.shape == (3, 80, frames)
    assert mu.shape == logvar.shape == (3, model.cfg.z_channels, 20, frames // 4)
    assert torch.isfinite(out).all()
    assert model.stylise(x, 0.3).shape == (3, 80, frames)


def test_bundled_size_is_small():
    assert parameter_count(StyleVAE()) < 1_000_000  # 4 bytes each: far under the 25 MB limit


def test_kl_against_known_distributions():
    zeros = torch.zeros(2, 4, 5, 3)
    assert kl_divergence(zeros, zeros).item() == pytest.approx(0.0, abs=1e-7)  # posterior == prior
    dims = 4 * 5 * 3
    assert kl_divergence(zeros + 1.0, zeros).item() == pytest.approx(0.5 * dims, rel=1e-6)  # μ=1: ½μ² each
    mu, logvar = torch.randn(2, 4, 5, 3), torch.randn(2, 4, 5, 3)
    reference = torch.distributions.kl_divergence(
        torch.distributions.Normal(mu, torch.exp(0.5 * logvar)), torch.distributions.Normal(0.0, 1.0)
    )
    assert kl_divergence(mu, logvar).item() == pytest.approx(
        reference.flatten(1).sum(1).mean().item(), rel=1e-5
    )


def test_kl_annealing_ramps_then_holds():
    assert kl_weight(0, beta=0.2, warmup_steps=100) == 0.0
    assert kl_weight(50, beta=0.2, warmup_steps=100) == pytest.approx(0.1)
    assert kl_weight(100, beta=0.2, warmup_steps=100) == kl_weight(10_000, beta=0.2, warmup_steps=100) == 0.2
    assert kl_weight(0, beta=0.2, warmup_steps=0) == 0.2


def test_strength_interpolates_between_the_two_modes_posterior_means():
    model = StyleVAE(SMALL).eval()
    x = torch.randn(1, 80, 16)
    with torch.inference_mode():
        rec, _, _ = model(x, torch.zeros(1), sample=False)
        conv, _, _ = model(x, torch.ones(1), sample=False)
        assert torch.allclose(model.stylise(x, 0.0), rec, atol=1e-6)
        assert torch.allclose(model.stylise(x, 1.0), conv, atol=1e-6)
        half = model.stylise(x, 0.5)
    mu0, _ = model.encode(x, torch.zeros(1))
    mu1, _ = model.encode(x, torch.ones(1))
    assert torch.allclose(half, model.decode(0.5 * (mu0 + mu1), x), atol=1e-6)


# ---------------------------------------------------------------------------------------------------------
# Pairing by DTW


def _mel(x: np.ndarray) -> np.ndarray:
    return log_mel(Audio(x, SR))


def _voice(rng: np.random.Generator, seconds: float = 3.0) -> np.ndarray:
    """A vowel-like sequence: harmonic tones whose pitch and two formants glide (as speech never holds
    still, and DTW cannot place a frame inside a steady tone), with short gaps."""
    out = []
    while sum(map(len, out)) < seconds * SR:
        n = int(rng.uniform(0.12, 0.35) * SR)
        ramp = np.linspace(0.0, 1.0, n)
        f0 = rng.uniform(110, 260) * 2 ** (rng.uniform(-0.3, 0.3) * ramp)
        f1 = np.interp(ramp, [0, 1], rng.uniform(300, 800, 2))
        f2 = np.interp(ramp, [0, 1], rng.uniform(900, 2400, 2))
        phase = 2 * np.pi * np.cumsum(f0) / SR
        tone = sum(
            (np.exp(-(((k * f0 - f1) / 150) ** 2)) + 0.6 * np.exp(-(((k * f0 - f2) / 250) ** 2)))
            * np.sin(k * phase)
            for k in range(1, int(7000 / f0.max()))
        )
        out.append(tone * np.hanning(n) ** 0.5)
        if rng.random() < 0.4:
            out.append(np.zeros(int(rng.uniform(0.05, 0.15) * SR)))
    x = np.concatenate(out)[: int(seconds * SR)]
    return (0.5 * x / np.max(np.abs(x))).astype(np.float32)


FACTORS = (1.35, 0.75, 1.0, 1.5, 0.7, 1.2)


def _time_warp(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Piecewise-uniform phase-vocoder stretch of ``x`` (pitch kept) → (warped, true target time of each
    source frame in frames)."""
    from models.features import stretch_to_length

    edges = np.linspace(0, len(x), len(FACTORS) + 1).astype(int)
    pieces, out_edges = [], [0]
    for (a, b), factor in zip(itertools.pairwise(edges), FACTORS, strict=True):
        n = int(round((b - a) * factor))
        pieces.append(stretch_to_length(Audio(x[a:b], SR), n).samples)
        out_edges.append(out_edges[-1] + n)
    source_frames = np.arange(len(x) // HOP + 1)
    truth = np.interp(source_frames * HOP, edges, out_edges) / HOP
    return np.concatenate(pieces), truth


def _tremolo_bitcrush(x: np.ndarray) -> np.ndarray:
    """An effect the pairing was never tuned on: 7 Hz tremolo, then 4-bit quantisation."""
    t = np.arange(len(x)) / SR
    y = x * (1.0 - 0.45 * (0.5 + 0.5 * np.sin(2 * np.pi * 7.0 * t)))
    step = 2.0 / 2**4
    return (np.round(y / step) * step).astype(np.float32)


@pytest.mark.parametrize("effect", [None, _tremolo_bitcrush])
def test_dtw_pairing_recovers_a_known_time_warp(rng, effect):
    clean = _voice(rng)
    warped, truth = _time_warp(clean)
    target = effect(warped) if effect else warped
    clean_mel, target_mel = _mel(clean), _mel(target)
    path, quality = align(clean_mel, target_mel)
    found = frame_map(path, clean_mel.shape[1])
    n = min(len(found), len(truth))
    error = np.abs(found[:n] - truth[:n])[5:-5]  # the ends are pinned by DTW's boundary condition
    assert np.median(error) <= 1.5, np.median(error)
    assert np.percentile(error, 90) <= 4.0, np.percentile(error, 90)
    assert quality.length_ratio == pytest.approx(sum(FACTORS) / len(FACTORS), rel=0.03)
    assert not quality.poor, quality


def test_unrelated_recordings_are_flagged_poor(rng):
    a, b = _voice(rng), _voice(np.random.default_rng(99))
    _, quality = align(_mel(a), _mel(b))
    _, good = align(_mel(a), _mel(_time_warp(a)[0]))
    assert quality.cost_ratio > good.cost_ratio + 0.2


def test_pairs_folder_with_another_effect_aligns_and_trains_through_the_cli(rng, tmp_path):
    """Pairs made by tremolo + bitcrush of a time-warped copy: the pairing path on an effect it was not
    built for, end to end through ``python -m models.training vae_style --pairs DIR``."""
    import soundfile

    from models.training.__main__ import main

    root = tmp_path / "pairs"
    for i in range(2):
        clean = _voice(np.random.default_rng(10 + i), seconds=2.0)
        warped, _ = _time_warp(clean)
        (root / f"take{i}").mkdir(parents=True)
        soundfile.write(root / f"take{i}" / "clean.wav", clean, SR)
        soundfile.write(root / f"take{i}" / "target.wav", _tremolo_bitcrush(warped), SR)
    pairs = load_pairs(str(root))
    for pair in pairs:
        assert pair.target.shape == pair.clean.shape and not pair.quality.poor
    # the path found through the effect puts the (effect-free) warped copy back onto the clean timing
    clean = _voice(np.random.default_rng(10), seconds=2.0)
    warped_mel = _mel(_time_warp(clean)[0])
    path, _ = align(_mel(clean), _mel(_tremolo_bitcrush(_time_warp(clean)[0])))
    n = _mel(clean).shape[1]
    restored = np.mean(np.abs(warp_to_clean(warped_mel, path, n) - _mel(clean)))
    unaligned = np.mean(np.abs(warped_mel[:, :n] - _mel(clean)))
    assert restored < 0.6 * unaligned, (restored, unaligned)  # the phase vocoder smears what it stretches

    out = tmp_path / "run"
    argv = ["vae_style", "--pairs", str(root), "--out", str(out), "--cache", str(tmp_path / "cache")]
    assert main([*argv, "--steps", "6", "--batch", "2", "--threads", "1", "--minutes", "0"]) == 0
    assert os.path.isfile(out / "vae-style.pt")
    with open(out / "vae-style.alignment.jsonl") as f:
        assert [json.loads(line)["pair"] for line in f] == ["take0", "take1"]
    assert VAEStyleConverter(str(out / "vae-style.pt")).name == "vae-style"


def test_pairs_folder_errors_say_what_to_do(tmp_path):
    with pytest.raises(PairsError, match=r"clean\.wav"):
        load_pairs(str(tmp_path))


def test_warp_to_clean_averages_in_the_linear_domain():
    target = np.log(np.array([[1.0, 3.0, 5.0]]))
    path = np.array([[0, 0], [0, 1], [1, 2]])
    assert np.allclose(np.exp(warp_to_clean(target, path, 2)), [[2.0, 5.0]])


# ---------------------------------------------------------------------------------------------------------
# Training, checkpoint, converter


def _toy_pairs(n: int = 2, frames: int = 96) -> list[StylePair]:
    from models.vae_style.align import AlignmentQuality

    rng = np.random.default_rng(0)
    pairs = []
    for i in range(n):
        clean = (rng.normal(-5, 2, (80, frames))).astype(np.float32)
        target = clean.copy()
        target[::4] += 2.0  # a fixed comb-like "style"
        target[40:] -= 1.0
        pairs.append(StylePair(f"toy{i}", clean, target, AlignmentQuality(0.3, 0.0, 1.0, 1.0)))
    return pairs


def _tiny_task() -> StyleTask:
    return StyleTask(_toy_pairs(), config=SMALL, beta=0.001, kl_warmup=10, data_info={"source": "toy"})


def test_loss_falls_on_a_tiny_overfit_batch_and_kl_anneals(tmp_path):
    task = _tiny_task()
    cfg = TrainConfig(steps=40, batch=4, lr=0.003, log_every=5, save_every=20, seed=1, threads=1)
    summary = train(task, cfg, out=str(tmp_path), progress=False)
    with open(tmp_path / "vae-growl.log.jsonl") as log:
        rows = [json.loads(line) for line in log]
    assert summary["steps"] == 40
    assert rows[-1]["mse_conv"] < 0.5 * rows[0]["mse_conv"]
    assert rows[0]["beta"] < rows[-1]["beta"] == pytest.approx(0.001)


def test_checkpoint_round_trip(tmp_path):
    task = _tiny_task()
    path = str(tmp_path / "vae-growl.pt")
    task.save(path, train_info={"steps": 0})
    converter = VAEStyleConverter(path)
    assert converter.name == "vae-growl" and converter.model.cfg == SMALL
    x = torch.randn(1, 80, 24)
    with torch.inference_mode():
        assert torch.equal(converter.model.stylise(x, 0.7), task.model.eval().stylise(x, 0.7))
    with pytest.raises(CheckpointError, match="not 'parekh'"):
        load_checkpoint(path, model="parekh")


def test_chunked_inference_matches_one_pass(tmp_path, monkeypatch):
    task = _tiny_task()
    path = str(tmp_path / "c.pt")
    task.save(path, train_info={})
    converter = VAEStyleConverter(path)
    mel = np.random.default_rng(3).normal(-5, 2, (80, 301)).astype(np.float32)
    whole = converter.stylise_mel(mel, strength=0.8)
    monkeypatch.setattr(converter_module, "CHUNK_FRAMES", 64)
    assert np.allclose(converter.stylise_mel(mel, strength=0.8), whole, atol=1e-4)


@pytest.mark.parametrize("vocoder", ["griffinlim", "hifigan"])
def test_converter_end_to_end(tmp_path, vocoder):
    from models.features import load_audio

    task = _tiny_task()
    path = str(tmp_path / "vae-growl.pt")
    task.save(path, train_info={"steps": 0})
    converter = VAEStyleConverter(path)
    speech = load_audio(SPEECH_EXAMPLE)
    options = converter.Options(vocoder=vocoder, griffinlim_iterations=2, strength=1.0)
    result = converter.convert(speech, options=options)
    assert result.audio.sr == SR
    assert len(result.audio.samples) == len(speech.samples)
    assert np.isfinite(result.audio.samples).all() and np.abs(result.audio.samples).max() > 1e-3
    assert result.output_mel.shape[0] == 80 and set(result.timings) >= {"network", vocoder}
