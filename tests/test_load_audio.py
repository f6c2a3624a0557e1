from pathlib import Path

import numpy as np
import pytest
import soundfile

from evaluation.synthetic import sine
from models.errors import AudioInputError
from models.features import AudioLimits, load_audio

TONE = sine(220.0, seconds=1.0, sr=44100).audio.samples


def test_reads_stereo_at_any_rate_as_mono_float32_at_the_requested_rate(write_wav):
    path = write_wav(np.stack([TONE, TONE], axis=1), sr=44100, subtype="PCM_24")
    audio = load_audio(path, sr=22050)
    assert audio.sr == 22050 and audio.samples.dtype == np.float32 and audio.samples.ndim == 1
    assert abs(audio.duration - 1.0) < 1e-3


@pytest.mark.parametrize("fmt", ["FLAC", "OGG", "MP3"])
def test_reads_compressed_formats(tmp_path, fmt):
    path = str(tmp_path / f"tone.{fmt.lower()}")
    soundfile.write(path, TONE, 44100, format=fmt)
    assert abs(load_audio(path).duration - 1.0) < 0.06


def test_accepts_gradio_numpy_int16_pairs():
    audio = load_audio((44100, (TONE * 32767).astype(np.int16)), sr=16000)
    assert audio.sr == 16000 and np.max(np.abs(audio.samples)) <= 1.0


def rejection(source, limits=None):
    with pytest.raises(AudioInputError) as error:
        load_audio(source, limits=limits or AudioLimits())
    return str(error.value)


def test_rejects_a_missing_file(tmp_path):
    assert "No audio file" in rejection(str(tmp_path / "absent.wav"))


def test_rejects_an_empty_file(tmp_path):
    (tmp_path / "empty.wav").write_bytes(b"")
    assert "empty" in rejection(str(tmp_path / "empty.wav"))


def test_rejects_random_bytes_named_wav(tmp_path, rng):
    (tmp_path / "noise.wav").write_bytes(rng.bytes(4000))
    message = rejection(str(tmp_path / "noise.wav"))
    assert "Could not read" in message and "WAV" in message


def test_rejects_a_truncated_header(tmp_path, write_wav):
    data = Path(write_wav(TONE, sr=44100)).read_bytes()
    (tmp_path / "cut.wav").write_bytes(data[:30])
    assert "Could not read" in rejection(str(tmp_path / "cut.wav"))


def test_rejects_a_header_with_no_samples(write_wav):
    assert "no samples" in rejection(write_wav(np.zeros(0, np.float32)))


def test_rejects_too_short(write_wav):
    assert "at least 0.3 s" in rejection(write_wav(TONE[: int(0.1 * 44100)], sr=44100))


def test_rejects_too_long_with_a_configurable_limit(write_wav):
    path = write_wav(TONE, sr=44100)
    assert "limit here is 0.5 s" in rejection(path, AudioLimits(max_seconds=0.5))
    assert load_audio(path, limits=AudioLimits(max_seconds=2.0)).duration == pytest.approx(1.0, abs=1e-3)


def test_rejects_silence(write_wav):
    assert "silent" in rejection(write_wav(np.zeros(22050, np.float32)))


def test_rejects_dc_only_as_silence(write_wav):
    assert "silent" in rejection(write_wav(np.full(22050, 0.5, np.float32), subtype="FLOAT"))


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_rejects_non_finite_samples(write_wav, bad):
    samples = TONE.copy()
    samples[1000] = bad
    assert "NaN or infinite" in rejection(write_wav(samples, sr=44100, subtype="FLOAT"))
