"""The ICASSP 2020 encoder–decoder: shapes, variants, melody images, training loop, checkpoint, converter."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import torch

from models.melody import parse_note_text
from models.parekh.augment import shift_frequency
from models.parekh.converter import ParekhConverter
from models.parekh.data import Example, melody_image
from models.parekh.model import ParekhConfig, ParekhSTS, parameter_count
from models.parekh.train import VARIANTS, ParekhTask
from models.training.loop import TrainConfig, train

SMALL = {"width_divisor": 16}  # tests run a narrow copy; the architecture is the same


@pytest.mark.parametrize("frames", [1, 37, 129])
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_variant_maps_any_length_back_to_itself(variant, frames):
    cfg = ParekhConfig(**{**VARIANTS[variant].model.to_dict(), **SMALL})
    model = ParekhSTS(cfg).eval()
    with torch.inference_mode():
        out, phones = model(torch.rand(2, 513, frames), torch.zeros(2, 513, frames))
    assert out.shape == (2, 513, frames)
    assert torch.isfinite(out).all()
    assert (phones is None) == (not cfg.phone_head)
    if phones is not None:
        assert phones.shape == (2, cfg.n_phones, frames)


def test_full_width_matches_the_paper_scale_and_the_bundle_is_a_quarter():
    assert 12e6 <= parameter_count(ParekhSTS(ParekhConfig(width_divisor=1))) <= 14e6
    assert 1.0e6 <= parameter_count(ParekhSTS(ParekhConfig())) <= 1.6e6


def test_baseline_one_ignores_the_melody():
    model = ParekhSTS(ParekhConfig(use_melody=False, phone_head=False, **SMALL)).eval()
    x = torch.rand(1, 513, 16)
    with torch.inference_mode():
        a, _ = model(x, torch.zeros(1, 513, 16))
        b, _ = model(x, torch.ones(1, 513, 16))
    assert torch.equal(a, b)


def test_binary_image_cannot_separate_low_notes_but_the_harmonic_image_can():
    low_c, low_c_sharp = np.full(4, 130.8), np.full(4, 138.6)
    assert np.array_equal(melody_image(low_c), melody_image(low_c_sharp))  # one 15.6 Hz bin
    assert not np.array_equal(melody_image(low_c, "harmonics"), melody_image(low_c_sharp, "harmonics"))
    image = melody_image(np.array([0.0, 220.0]))
    assert image[:, 0].sum() == 1 and image[-1, 0] == 1  # unvoiced: the last row
    assert image[int(220 * 1024 / 16000), 1] == 1


def test_log_image_gives_f0_to_a_few_cents_where_the_binary_one_cannot():
    from models.parekh.data import LOG_IMAGE_CENTS_PER_ROW, f0_from_log_rows

    f0 = np.array([0.0, 130.8, 138.6, 146.8, 220.0, 880.0, 30.0, 5000.0])
    image = melody_image(f0, "log")
    assert image.shape == (513, len(f0))
    assert image[-1, 0] == 1 and image[:-1, 0].sum() == 0  # unvoiced: the last row only
    assert image[-1, 1:].sum() == 0
    rows = image[:-1, 1:6]
    # the centre of mass of each bump reads the F0 back to within 3 cents
    decoded = f0_from_log_rows(rows)
    assert np.all(np.abs(1200 * np.log2(decoded / f0[1:6])) < 3)
    # C3, C#3 and D3 (one 15.6 Hz bin apart at most in the binary image) peak a semitone's rows apart
    semitone_rows = 100 / LOG_IMAGE_CENTS_PER_ROW
    assert np.all(np.abs(np.diff(rows[:, :3].argmax(0)) - semitone_rows) <= 1)
    assert image[:-1, 6].argmax() == 0 and image[:-1, 7].argmax() == 511  # out of range: the grid's ends


def test_frequency_shift_moves_a_peak_by_an_octave():
    x = torch.zeros(1, 513, 3)
    x[0, 100] = 1.0
    up = shift_frequency(x, torch.tensor([12.0]))
    assert int(up[0, :, 0].argmax()) == 200
    assert torch.equal(shift_frequency(x, torch.tensor([0.0])), x)


def _toy_examples(n: int = 3, frames: int = 160) -> list[Example]:
    rng = np.random.default_rng(0)
    out = []
    for i in range(n):
        f0 = np.full(frames, 110.0 * (i + 1), dtype=np.float32)
        singing = np.full((513, frames), 0.5, np.float16)
        singing[int(f0[0] * 1024 / 16000) :: int(f0[0] * 1024 / 16000)] = 2.0  # a harmonic comb
        speech = (rng.random((513, frames)) * 0.5).astype(np.float16)
        out.append(Example(speech, singing, f0, rng.integers(0, 41, frames)))
    return out


def _tiny_task(variant: str = "p-mtl") -> ParekhTask:
    task = ParekhTask(VARIANTS[variant], _toy_examples(), corpus_info={"manifest_sha256": "toy"})
    task.model = ParekhSTS(ParekhConfig(**{**VARIANTS[variant].model.to_dict(), **SMALL}))
    task.variant = VARIANTS[variant].__class__(**{**VARIANTS[variant].__dict__, "model": task.model.cfg})
    return task


def test_loss_falls_on_a_tiny_batch_and_training_resumes(tmp_path):
    task = _tiny_task()
    cfg = TrainConfig(steps=40, batch=4, lr=0.003, log_every=5, save_every=20, seed=1, threads=1)
    summary = train(task, cfg, out=str(tmp_path), progress=False)
    with open(tmp_path / "parekh-p-mtl.log.jsonl") as log:
        rows = [json.loads(line) for line in log]
    assert summary["steps"] == 40 and rows[-1]["step"] == 40
    assert rows[-1]["mse"] < 0.5 * rows[0]["mse"]
    assert "ce" in rows[0]
    resumed = train(
        _tiny_task(), TrainConfig(**{**cfg.__dict__, "steps": 45}), out=str(tmp_path), progress=False
    )
    assert resumed["steps"] == 45
    with open(tmp_path / "parekh-p-mtl.log.jsonl") as log:
        assert [json.loads(line)["step"] for line in log][-2:] == [40, 45]


def test_checkpoint_round_trip_and_end_to_end_conversion(tmp_path, write_wav):
    task = _tiny_task("p-mse")
    path = str(tmp_path / "parekh-p-mse.pt")
    task.save(path, train_info={"steps": 0})
    converter = ParekhConverter(path)
    assert converter.name == "parekh-p-mse"
    x, image = torch.rand(1, 513, 24), torch.zeros(1, 513, 24)
    with torch.inference_mode():
        assert torch.equal(converter.model(x, image)[0], task.model.eval()(x, image)[0])
    from models.features import load_audio

    speech = load_audio(
        os.path.join(os.path.dirname(__file__), "..", "examples", "speech_arctic_slt_a0009.wav")
    )
    melody = parse_note_text("tempo=120: C4/4 D4/4 E4/4 r/8 G4/2")
    result = converter.convert(speech, melody=melody, options=converter.Options(griffinlim_iterations=2))
    assert abs(result.audio.duration - melody.duration) < 0.05
    assert np.isfinite(result.audio.samples).all()


def test_phone_weight_scales_the_cross_entropy_and_is_refused_without_a_phone_head(tmp_path):
    from models.base import load_checkpoint
    from models.parekh.train import make_variant_task

    task = _tiny_task()
    batch = task.batch(np.random.default_rng(0), 4)
    paper, parts = task.loss(batch)
    task.variant = task.variant.__class__(**{**task.variant.__dict__, "phone_weight": 0.005})
    smaller, _ = task.loss(batch)
    assert smaller.item() == pytest.approx(parts["mse"] + 0.005 * parts["ce"], rel=1e-5)
    assert paper.item() == pytest.approx(parts["mse"] + 0.015 * parts["ce"], rel=1e-5)
    task.save(str(tmp_path / "m.pt"), train_info={"steps": 0})
    assert load_checkpoint(str(tmp_path / "m.pt")).config["phone_weight"] == 0.005
    with pytest.raises(ValueError, match="phone head"):
        make_variant_task("p-mse", "no-such-corpus", cache_dir=None, phone_weight=0.005)
    with pytest.raises(ValueError, match="≥ 0"):
        make_variant_task("p-mtl", "no-such-corpus", cache_dir=None, phone_weight=-1)


def test_warm_start_takes_every_weight_but_a_missing_phone_head_and_refuses_another_network(tmp_path):
    from models.parekh.train import warm_start

    source = _tiny_task("p-mse")
    path = str(tmp_path / "parekh-p-mse.pt")
    source.save(path, train_info={"steps": 7, "wall_s": 1.5})
    target = _tiny_task("p-mtl")
    head_before = {k: v.clone() for k, v in target.model.phone_head.state_dict().items()}
    record = warm_start(target.model, path)
    assert record["variant"] == "p-mse" and record["steps"] == 7 and len(record["sha256"]) == 64
    for key, value in source.model.state_dict().items():
        assert torch.equal(target.model.state_dict()[key], value), key
    for key, value in target.model.phone_head.state_dict().items():
        assert torch.equal(value, head_before[key])  # no phone head to take: it keeps its init
    with pytest.raises(ValueError, match="differs"):
        warm_start(_tiny_task("b2").model, path)
    other_image = VARIANTS["p-mtl"].__class__(**{**target.variant.__dict__, "melody_image": "log"})
    with pytest.raises(ValueError, match="melody_image"):
        warm_start(_tiny_task("p-mtl").model, path, variant=other_image)
    assert warm_start(_tiny_task("p-mtl").model, path, variant=target.variant)["steps"] == 7


def test_the_griffin_lim_exponent_and_the_harmonic_emphasis_reach_the_output(tmp_path):
    from models.features import Audio

    task = _tiny_task("b2")
    path = str(tmp_path / "parekh-b2.pt")
    task.save(path, train_info={"steps": 0})
    converter = ParekhConverter(path)
    speech = Audio(np.random.default_rng(0).normal(0, 0.1, 16000).astype(np.float32), 16000)
    melody = parse_note_text("tempo=120: A3/4 C4/4")
    outputs = {}
    for power in (1.2, 1.5):
        options = converter.Options(griffinlim_iterations=2, griffinlim_power=power)
        result = converter.convert(speech, melody=melody, options=options)
        assert f"|S|^{power:g}" in " ".join(result.notes)
        outputs[power] = result.audio.samples
    assert not np.allclose(outputs[1.2], outputs[1.5])
    assert converter.Options().griffinlim_power == 1.2  # the paper's
    combed = converter.convert(
        speech, melody=melody, options=converter.Options(griffinlim_iterations=2, harmonic_emphasis=1.0)
    )
    assert "Harmonics sharpened" in " ".join(combed.notes)
    assert not np.allclose(combed.audio.samples, outputs[1.2])
    assert converter.Options().harmonic_emphasis == 0.0  # the paper's output unless asked


def test_harmonic_comb_raises_the_given_harmonics_lowers_between_and_leaves_unvoiced_frames():
    from models.parekh.converter import harmonic_comb

    flat = np.full((513, 3), np.log1p(1.0), np.float32)  # |S| = 1 everywhere
    f0 = np.array([250.0, 0.0, 125.0])  # 250 Hz is 16 bins of 15.625 Hz
    out = np.expm1(harmonic_comb(flat, f0, 0.5))
    assert out[16, 0] == pytest.approx(np.exp(0.5), rel=1e-4)  # the first harmonic
    assert out[48, 0] == pytest.approx(np.exp(0.5), rel=1e-4)  # the third
    assert out[24, 0] == pytest.approx(np.exp(-0.5), rel=1e-4)  # midway between the first two
    assert np.allclose(out[:, 1], 1.0)  # unvoiced: untouched
    assert out[8, 2] == pytest.approx(np.exp(0.5), rel=1e-4)  # 125 Hz: every 8th bin
    assert np.log(out[16:32, 0]).mean() == pytest.approx(0.0, abs=1e-6)  # no level change over a harmonic
