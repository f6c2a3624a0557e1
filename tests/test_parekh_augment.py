"""Training the ICASSP 2020 model on several corpora, with voice and tuning augmentation (issue 24)."""

from __future__ import annotations

import numpy as np
import torch

from models.parekh import augment
from models.parekh.data import Example
from models.parekh.train import VARIANTS, ParekhTask

BINS = 513


def tone_example(f0_hz: float, frames: int = 160, speech_level: float = 0.5) -> Example:
    """A sung 'tone': one bright bin at f0; the speech a flat spectrum at ``speech_level``."""
    singing = np.zeros((BINS, frames), np.float16)
    singing[int(round(f0_hz * 1024 / 16000))] = 3.0
    speech = np.full((BINS, frames), speech_level, np.float16)
    return Example(speech, singing, np.full(frames, f0_hz, np.float32), np.zeros(frames, np.int64))


def task(groups, **kwargs) -> ParekhTask:
    return ParekhTask(VARIANTS["p-mse"], groups, corpus_info={"manifest_sha256": "toy"}, **kwargs)


def test_a_tuning_offset_moves_the_target_and_its_melody_image_together():
    t = task([tone_example(1000.0)], augment=True)
    batch = t.batch(np.random.default_rng(3), 8)
    image_rows = batch["melody"][:, :-1, 0].argmax(dim=1).float()  # the F0 row, frame 0
    target_rows = batch["singing"][:, :, 0].argmax(dim=1).float()
    # both moved by up to ±50 cents from bin 64 (1000 Hz), and by the same amount
    assert (image_rows - 64).abs().max() <= 2 and (image_rows != 64).any()
    assert torch.allclose(image_rows, target_rows, atol=1)


def test_the_variants_melody_image_is_what_it_trains_on_and_what_its_checkpoint_records(tmp_path):
    from dataclasses import replace

    from models.base import load_checkpoint
    from models.parekh.data import melody_image

    variant = replace(VARIANTS["p-mse"], melody_image="log")
    t = ParekhTask(variant, [tone_example(220.0)], corpus_info={"manifest_sha256": "toy"})
    batch = t.batch(np.random.default_rng(0), 2)
    expected = torch.from_numpy(melody_image(np.full(batch["melody"].shape[-1], 220.0, np.float32), "log"))
    assert torch.equal(batch["melody"][0], expected)
    assert not torch.equal(
        batch["melody"][0], torch.from_numpy(melody_image(np.full(expected.shape[-1], 220.0)))
    )
    t.save(str(tmp_path / "toy.pt"), train_info={"steps": 0})
    assert load_checkpoint(str(tmp_path / "toy.pt")).config["melody_image"] == "log"


def test_shares_decide_where_a_batch_comes_from():
    low, high = [tone_example(200.0)], [tone_example(800.0)]
    only_high = task([low, high], shares=[0.0, 1.0]).batch(np.random.default_rng(0), 16)
    assert (only_high["singing"][:, :, 0].argmax(dim=1) == round(800 * 1024 / 16000)).all()
    mixed = task([low, high], shares=[0.5, 0.5]).batch(np.random.default_rng(0), 64)
    from_high = (mixed["singing"][:, :, 0].argmax(dim=1) == round(800 * 1024 / 16000)).float().mean()
    assert 0.3 < float(from_high) < 0.7


def test_room_noise_is_added_at_the_drawn_snr():
    magnitude = torch.ones(4, BINS, 50)
    noise = np.full((BINS, 400), 0.1, np.float32)
    noisy = augment.add_noise(magnitude, noise, np.random.default_rng(0))
    added = (noisy.pow(2) - magnitude.pow(2)).mean(dim=(1, 2))  # noise power per item
    snr = 10 * torch.log10(1.0 / added)
    assert ((snr >= 10 - 1e-3) & (snr <= 30 + 1e-3)).all() and snr.std() > 0.5


def test_voice_augmentation_changes_the_speech_but_not_its_scale_wildly():
    x = torch.full((8, BINS, 20), 0.5)
    out = augment.augment_voice(x, np.random.default_rng(0), None)
    # below the top bins a warp up by a semitone empties (nothing above Nyquist to move there)
    gain_db = 20 * torch.log10(torch.expm1(out[:, 10:400]) / np.expm1(0.5))
    assert out.shape == x.shape and not torch.allclose(out, x)
    assert gain_db.abs().max() <= augment.EQ_DB + 0.1


def test_without_augmentation_one_corpus_draws_as_the_bundled_runs_did():
    """One corpus, no augmentation: the batch is the same function of the seed as before issue 24 (one
    draw of the batch's examples, then a window each), so the bundled checkpoints stay reproducible."""
    examples = [tone_example(110.0 * (i + 1)) for i in range(3)]
    rng = np.random.default_rng(7)
    weights = np.full(3, 1 / 3)
    expected = [examples[i] for i in rng.choice(3, size=5, p=weights)]
    batch = task(examples).batch(np.random.default_rng(7), 5)
    rows = batch["singing"][:, :, 0].argmax(dim=1).tolist()
    assert rows == [int(round(e.f0[0] * 1024 / 16000)) for e in expected]


def test_an_augmented_noisy_batch_trains_the_network():
    """Every tensor of an augmented batch is float32 and a loss step runs (a float64 one did not)."""
    from models.parekh.model import ParekhConfig

    examples = [tone_example(220.0), tone_example(330.0)]
    variant = VARIANTS["p-mtl"]
    small = type(variant)(variant.name, ParekhConfig(width_divisor=16), variant.phone_weight)
    t = ParekhTask(
        small, examples, corpus_info={}, augment=True, noise=np.full((BINS, 300), 0.05, np.float32)
    )
    batch = t.batch(np.random.default_rng(0), 2)
    assert all(v.dtype in (torch.float32, torch.int64) for v in batch.values())
    loss, _ = t.loss(batch)
    loss.backward()
    assert torch.isfinite(loss)
