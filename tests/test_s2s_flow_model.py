"""Flow model: shapes, invertibility, log-determinants against a numeric Jacobian, a tiny overfit."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from models.s2s_flow.data import Example
from models.s2s_flow.flow import ActNorm, AffineCoupling, FlowDecoder, InvertibleConv1x1, squeeze, unsqueeze
from models.s2s_flow.model import (
    S2SFlow,
    S2SFlowConfig,
    resampling_positions,
    segments_from_labels,
    smooth_labels,
)
from models.s2s_flow.train import S2SFlowTask, pair_losses


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny tensors: extra threads only add contention (the overfit test went 26 s → 3 s on a busy box)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


TINY = S2SFlowConfig(
    n_mels=8,
    encoder_channels=16,
    encoder_layers=2,
    unit_channels=16,
    unit_layers=1,
    flow_blocks=2,
    flow_hidden=8,
    flow_layers=2,
    dropout=0.0,
)


def randomized(module: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """Every parameter random (the zero-initialized coupling output would make the flow trivially linear)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(0.1 * torch.randn(p.shape, generator=g) + (torch.eye(p.shape[0]) if p.ndim == 2 else 0))
    return module.eval()


def test_squeeze_round_trip():
    x = torch.randn(2, 3, 8)
    assert squeeze(x, 2).shape == (2, 6, 4)
    torch.testing.assert_close(unsqueeze(squeeze(x, 2), 2), x)


def test_flow_is_invertible():
    torch.manual_seed(0)
    flow = randomized(FlowDecoder(8, blocks=3, hidden=8, kernel=3, layers=2, squeeze_factor=2))
    x = torch.randn(2, 8, 20)
    z, logdet = flow(x)
    assert z.shape == x.shape and logdet.shape == (2,)
    assert torch.max(torch.abs(flow.reverse(z) - x)) < 1e-4


def test_conditioned_flow_is_invertible_and_depends_on_its_condition():
    torch.manual_seed(0)
    flow = randomized(
        FlowDecoder(8, blocks=3, hidden=8, kernel=3, layers=2, squeeze_factor=2, cond_channels=4)
    )
    x, cond = torch.randn(1, 8, 20), torch.randn(1, 4, 20)
    z, _ = flow(x, cond)
    assert torch.max(torch.abs(flow.reverse(z, cond) - x)) < 1e-4
    other, _ = flow(x, cond + 1)
    assert not torch.allclose(other, z)


@pytest.mark.parametrize(
    ("layer", "shape", "cond_channels"),
    [
        (lambda: ActNorm(4), (1, 4, 3), 0),
        (lambda: InvertibleConv1x1(4), (1, 4, 3), 0),
        (lambda: AffineCoupling(4, hidden=6, kernel=3, layers=2), (1, 4, 3), 0),
        (lambda: FlowDecoder(2, blocks=2, hidden=4, kernel=3, layers=1, squeeze_factor=2), (1, 2, 4), 0),
        (
            lambda: FlowDecoder(2, blocks=2, hidden=4, kernel=3, layers=1, squeeze_factor=2, cond_channels=3),
            (1, 2, 4),
            3,
        ),
    ],
)
def test_logdet_matches_the_numeric_jacobian(layer, shape, cond_channels):
    module = randomized(layer()).double()
    x = torch.randn(*shape, dtype=torch.float64)
    # the condition is held fixed: the Jacobian is over x only
    extra = (torch.randn(1, cond_channels, shape[2], dtype=torch.float64),) if cond_channels else ()
    with torch.no_grad():
        _, logdet = module(x, *extra)
    jacobian = torch.autograd.functional.jacobian(
        lambda v: module(v.view(shape), *extra)[0].reshape(-1), x.reshape(-1)
    )
    numeric = torch.linalg.slogdet(jacobian)[1]
    assert float(logdet[0]) == pytest.approx(float(numeric), abs=1e-6)


def test_segments_and_smoothing():
    labels = np.array([3, 3, 3, 7, 3, 3, 5, 5, 5, 5, 1])
    assert smooth_labels(labels, width=3).tolist() == [3, 3, 3, 3, 3, 3, 5, 5, 5, 5, 1]
    assert segments_from_labels(labels, min_frames=2) == [(0, 4), (4, 6), (6, 11)]
    assert segments_from_labels(labels, min_frames=1)[-1] == (10, 11)


def test_resampling_spreads_each_units_speech_frames_over_its_sung_frames():
    lower, upper, weight, position, unit = resampling_positions(
        [(0, 10), (10, 12), (12, 20)], np.array([5, 0, 2])
    )
    assert unit.tolist() == [0, 0, 0, 0, 0, 2, 2]  # the skipped unit reads nothing
    at = lower + weight
    np.testing.assert_allclose(at[:5], [0.5, 2.5, 4.5, 6.5, 8.5])  # evenly over frames 0…9
    np.testing.assert_allclose(at[5:], [13.5, 17.5])
    assert np.all((lower >= 0) & (upper < 20) & (upper - lower <= 1))
    np.testing.assert_allclose(position, [0.1, 0.3, 0.5, 0.7, 0.9, 0.25, 0.75])
    # more speech frames than sung ones: positions clamp inside the unit and never decrease
    lower, upper, weight, _, _ = resampling_positions([(3, 5)], np.array([6]))
    assert np.all(np.diff(lower + weight) >= 0) and lower.min() >= 3 and upper.max() <= 4


def synthetic_pair(rng: np.random.Generator) -> Example:
    """Two 'phones' sung long (40 frames each) and spoken short (6 frames each), with distinct spectra."""
    a, b = rng.normal(-4, 1, size=(8, 1)), rng.normal(-6, 1, size=(8, 1))
    singing = np.concatenate([np.repeat(a, 40, 1), np.repeat(b, 40, 1)], 1) + 0.1 * rng.normal(size=(8, 80))
    speech = np.concatenate([np.repeat(a, 6, 1), np.repeat(b, 6, 1)], 1) + 0.1 * rng.normal(size=(8, 12))
    return Example(singing.astype(np.float16), speech.astype(np.float16), np.repeat([1, 2], 40))


def test_loss_falls_on_a_tiny_overfit_batch():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    task = S2SFlowTask([synthetic_pair(rng)], corpus_info={}, config=TINY)
    optimizer = torch.optim.Adam(task.model.parameters(), lr=3e-3)
    batch = task.batch(rng, 1)
    losses = []
    for _ in range(40):
        loss, _ = task.loss(batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0], (losses[0], losses[-1])
    terms = pair_losses(task.model.eval(), batch["pairs"][0])
    assert terms["ce"] < 0.2  # the two sung phones are recognised


def test_the_length_term_compares_summed_durations_and_trains_only_the_duration_predictor(tmp_path):
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="length-weight"):
        S2SFlowTask([], corpus_info={}, config=TINY, length_weight=-1.0)
    task = S2SFlowTask([synthetic_pair(rng)], corpus_info={}, config=TINY, length_weight=1.0)
    pair = task.batch(rng, 1)["pairs"][0]
    terms = pair_losses(task.model, pair)
    h, logits = task.model.encoder(pair["singing"])
    _, log_duration = task.model.prior(
        h, logits, segments_from_labels(pair["phones"][0].numpy(), min_frames=1)
    )
    predicted = torch.exp(log_duration[0]).sum()  # Σ (1 + d̂) against T + U
    expected = (torch.log(predicted) - np.log(pair["speech"].shape[2] + log_duration.shape[1])) ** 2
    torch.testing.assert_close(terms["length"], expected)
    terms["length"].backward()
    touched = {
        name.split(".")[0]
        for name, p in task.model.named_parameters()
        if p.grad is not None and p.grad.abs().sum() > 0
    }
    assert touched == {"duration"}  # its input is detached: the mel terms are not pulled by it
    task.save(str(tmp_path / "len.pt"), train_info={"steps": 0})
    assert torch.load(tmp_path / "len.pt", weights_only=True)["config"]["length_weight"] == 1.0


def test_sampling_shapes_and_noise_scale():
    torch.manual_seed(0)
    model = S2SFlow(TINY).eval()
    singing = torch.randn(1, 8, 50) - 5
    mel, frames = model.sample(singing, noise_scale=0.0)
    assert mel.shape[:2] == (1, 8) and mel.shape[2] == frames.sum() and mel.shape[2] % TINY.squeeze == 0
    again, _ = model.sample(singing, noise_scale=0.0)
    torch.testing.assert_close(mel, again)  # no noise: deterministic
    noisy, _ = model.sample(singing, noise_scale=0.3)
    assert not torch.allclose(noisy, mel)


def tiny_checkpoint(path) -> S2SFlowTask:
    torch.manual_seed(0)
    task = S2SFlowTask(
        [synthetic_pair(np.random.default_rng(0))], corpus_info={"train_pairs": 1}, config=TINY
    )
    task.model.eval()
    task.save(str(path), train_info={"steps": 0})
    return task


def test_checkpoint_round_trip(tmp_path):
    from models.s2s_flow.converter import S2SFlowConverter

    task = tiny_checkpoint(tmp_path / "tiny.pt")
    converter = S2SFlowConverter(str(tmp_path / "tiny.pt"))
    for key, value in task.model.state_dict().items():
        torch.testing.assert_close(converter.model.state_dict()[key], value)
    assert converter.train_info["train_pairs"] == 1


def test_converter_end_to_end_and_bad_input(tmp_path):
    from models.errors import AudioInputError
    from models.features import HIFIGAN_MEL, Audio
    from models.s2s_flow.converter import S2SFlowConverter, S2SFlowOptions

    tiny = S2SFlowConfig(**{**TINY.to_dict(), "n_mels": HIFIGAN_MEL.n_mels})
    torch.manual_seed(0)
    task = S2SFlowTask([], corpus_info={}, config=tiny)
    task.save(str(tmp_path / "tiny80.pt"), train_info={"steps": 0})
    converter = S2SFlowConverter(str(tmp_path / "tiny80.pt"))
    t = np.arange(16000) / 16000
    sung = Audio((0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 16000)
    options = S2SFlowOptions(vocoder="griffinlim")
    result = converter.convert(sung, options=options)
    assert result.audio.sr == 16000 and len(result.audio.samples) > 0
    assert np.all(np.isfinite(result.audio.samples))
    again = converter.convert(sung, options=options)
    np.testing.assert_array_equal(result.audio.samples, again.audio.samples)  # seeded sampling
    with pytest.raises(AudioInputError, match="at least"):
        converter.convert(Audio(sung.samples[:1000], 16000))


def test_the_training_split_reads_back_from_its_cache_unchanged(tmp_path):
    from models.corpus.manifest import read_manifest
    from models.s2s_flow.data import load_split

    root = "tests/data/heldout_synthetic"
    split = read_manifest(root)[0].split
    built = load_split(root, split, cache_dir=str(tmp_path))
    cached = load_split(root, split, cache_dir=str(tmp_path))  # read from the .npz this time
    assert len(list(tmp_path.iterdir())) == 1 and len(cached) == len(built) > 0
    for a, b in zip(built, cached, strict=True):
        for field in ("singing", "speech", "phones"):
            assert np.array_equal(getattr(a, field), getattr(b, field))
            assert getattr(a, field).dtype == getattr(b, field).dtype
