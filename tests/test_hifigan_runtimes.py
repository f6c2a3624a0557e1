"""HiFi-GAN on each runtime gives PyTorch fp32's output; a runtime that cannot load falls back to PyTorch;
streamed pieces join into the one-shot output."""

import numpy as np
import pytest

from evaluation.metrics import lsd_icassp
from models import features, hifigan_runtimes, vocoders
from models.features import Audio, load_audio
from tests.conftest import SPEECH_EXAMPLE


@pytest.fixture(scope="module")
def mel() -> np.ndarray:
    return features.log_mel(load_audio(SPEECH_EXAMPLE))[:, :200]


@pytest.fixture(scope="module")
def reference(mel) -> Audio:
    return vocoders.HiFiGAN.from_package(runtime="torch", precision="fp32").synthesize(mel)


@pytest.mark.parametrize("runtime", ["openvino", "onnxruntime"])
def test_fp32_runtimes_give_pytorch_fp32s_output(mel, reference, runtime):
    vocoder = vocoders.HiFiGAN.from_package(runtime=runtime, precision="fp32")
    assert (vocoder.runtime, vocoder.precision) == (runtime, "fp32")
    out = vocoder.synthesize(mel)
    assert out.samples.shape == reference.samples.shape
    assert np.max(np.abs(out.samples - reference.samples)) < 5e-3
    assert lsd_icassp(reference, out) < 0.05


@pytest.mark.parametrize("runtime", ["openvino", "torch"])
def test_bf16_copy_synthesis_is_as_close_to_the_recording_as_fp32s(reference, runtime):
    """bf16 rounds every layer (its output differs from fp32's by LSD ≈ 0.7), but what it makes of a
    recording is as close to the recording as fp32's: copy-synthesis LSD within 0.05."""
    original = load_audio(SPEECH_EXAMPLE, sr=22050)
    fp32 = vocoders.copy_synthesis(original, vocoders.HiFiGAN.from_package(runtime="torch", precision="fp32"))
    vocoder = vocoders.HiFiGAN.from_package(runtime=runtime, precision="bf16")
    assert vocoder.precision == "bf16"
    bf16 = vocoders.copy_synthesis(original, vocoder)
    assert abs(lsd_icassp(original, bf16) - lsd_icassp(original, fp32)) < 0.05
    assert lsd_icassp(fp32, bf16) < 1.5  # rounding, not a different signal (a shuffled mel scores ≈ 10)


def test_a_runtime_that_fails_to_load_falls_back_to_pytorch(monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise ImportError("no such library here")

    monkeypatch.setattr(hifigan_runtimes, "openvino_runner", broken)
    vocoder = vocoders.HiFiGAN.from_package(runtime="openvino", precision="fp32")
    assert vocoder.runtime == "torch"
    assert "no such library here" in caplog.text


def test_the_runtime_setting_is_checked(monkeypatch):
    monkeypatch.setenv("SONGBRIDGE_HIFIGAN_RUNTIME", "tensorrt")
    with pytest.raises(ValueError, match="not one of auto, torch, openvino, onnxruntime"):
        hifigan_runtimes.resolve_runtime()
    monkeypatch.setenv("SONGBRIDGE_HIFIGAN_RUNTIME", "torch")
    assert hifigan_runtimes.resolve_runtime("openvino") == "torch"  # the setting wins


def test_a_conversion_is_cached_and_read_back(tmp_path, monkeypatch, mel):
    monkeypatch.setenv("SONGBRIDGE_CACHE_DIR", str(tmp_path))
    first = vocoders.HiFiGAN.from_package(runtime="openvino", precision="fp32")
    written = sorted(p.name for p in tmp_path.iterdir())
    assert [name.rsplit(".", 1)[1] for name in written] == ["bin", "xml"]  # no temporary file left
    second = vocoders.HiFiGAN.from_package(runtime="openvino", precision="fp32")
    assert sorted(p.name for p in tmp_path.iterdir()) == written
    np.testing.assert_allclose(first.synthesize(mel).samples, second.synthesize(mel).samples, atol=1e-5)


def test_a_long_mel_is_vocoded_in_pieces_growing_to_the_largest():
    vocoder = vocoders.HiFiGAN.from_package(runtime="torch", precision="fp32", chunk_frames=600)
    assert vocoder.spans(2000) == [(0, 86), (86, 430), (430, 1030), (1030, 1630), (1630, 2000)]
    assert vocoder.spans(344) == [(0, 344)]  # 4 s and shorter: one call
    assert vocoder.spans(0) == []


@pytest.mark.parametrize("runtime", ["torch", "openvino"])
def test_streamed_pieces_are_the_one_shot_output(runtime):
    mel = features.log_mel(load_audio(SPEECH_EXAMPLE))
    mel = np.concatenate([mel, mel, mel], axis=1)  # about 10 s: five pieces
    vocoder = vocoders.HiFiGAN.from_package(runtime=runtime, precision="fp32")
    pieces = list(vocoder.stream(mel))
    assert [len(p) for p in pieces[:2]] == [86 * 256, 344 * 256]
    assert np.array_equal(np.concatenate(pieces), vocoder.synthesize(mel).samples)
    one_call = vocoders.HiFiGAN(vocoder.generator, runner=vocoder.runner, whole_up_to=10_000).synthesize(mel)
    assert np.max(np.abs(np.concatenate(pieces) - one_call.samples)) < 1e-3  # pieces change nothing
