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


# --- Limits on what a file may cost (issue 22): format by content, decoded samples, damage ---------------


def flac_with_length(samples: np.ndarray, sr: int, total_frames: int) -> bytes:
    """A FLAC of ``samples`` whose STREAMINFO says ``total_frames`` (0: length unknown, as streamed)."""
    import io

    buffer = io.BytesIO()
    soundfile.write(buffer, samples, sr, format="FLAC")
    data = bytearray(buffer.getvalue())
    assert data[:4] == b"fLaC"
    packed = int.from_bytes(data[18:26], "big")  # rate 20 bits, channels 3, bits 5, total samples 36
    data[18:26] = ((packed & ~((1 << 36) - 1)) | total_frames).to_bytes(8, "big")
    return bytes(data)


@pytest.fixture
def no_decoding(monkeypatch):
    import models.features

    monkeypatch.setattr(models.features, "_decode", lambda *a: pytest.fail("the file was decoded"))


def test_refuses_a_255_channel_ogg_from_its_header_before_decoding(tmp_path, no_decoding):
    """The shape of the 98 KB OGG that took the server to 7.8 GB, at a scale a test writes in a moment: the
    budget is the limit's length at 8 channels × 48 kHz, so 1 s allows 384,000 samples, 0.2 s of 255
    channels is 2.4 million."""
    path = str(tmp_path / "many.ogg")
    soundfile.write(path, np.zeros((9600, 255), np.float32), 48000, format="OGG")
    message = rejection(path, AudioLimits(min_seconds=0.1, max_seconds=1.0))
    assert "255 channels at 48000 Hz" in message and "limit here is 0.4 million" in message
    assert "Export it as mono or stereo" in message


def test_refuses_a_flac_whose_header_declares_too_many_samples(no_decoding):
    """8 channels at 96 kHz for 59 s (45 million samples) at the default 60-s limit (23 million)."""
    data = flac_with_length(np.full((960, 8), 0.1, np.float32), 96000, total_frames=96000 * 59)
    message = rejection(data)
    assert "8 channels at 96000 Hz for 59.0 s" in message and "23.0 million" in message


def test_a_flac_of_unknown_length_is_read_within_limits_and_stopped_past_them():
    tone = np.stack([TONE * (0.5 + 0.1 * c) for c in range(8)], axis=1)
    data = flac_with_length(tone, 44100, total_frames=0)
    audio = load_audio(data, sr=44100, limits=AudioLimits(max_seconds=1.5))
    assert audio.duration == pytest.approx(1.0) and np.allclose(audio.samples, tone.mean(axis=1), atol=1e-4)
    # though the header promised nothing, decoding stops past the length, or past the budget of samples
    assert "longer than 0.5 s" in rejection(data, AudioLimits(min_seconds=0.1, max_seconds=0.5))
    budget = AudioLimits(min_seconds=0.1, max_seconds=1.5, max_decode_rate=4 * 48000)  # 36,000 frames of 8
    message = rejection(data, budget)
    assert "8 channels at 44100 Hz for over 0.8 s" in message and "(1.5 s of 4 channels at 48 kHz)" in message


def test_mixes_channels_to_mono_block_by_block(tmp_path, monkeypatch):
    import models.audio_file

    monkeypatch.setattr(models.audio_file, "BLOCK_SAMPLES", 6 * 1000)  # 1,000-frame blocks: 45 of them
    gains = np.array([1.0, -0.5, 0.25, 0.0, 0.75, 0.1], np.float32)
    path = str(tmp_path / "six.wav")
    soundfile.write(path, TONE[:, None] * gains, 44100, subtype="FLOAT")
    audio = load_audio(path, sr=44100)
    assert np.allclose(audio.samples, TONE * gains.mean(), atol=1e-6)


@pytest.mark.parametrize("fmt", ["MAT5", "PAF", "IRCAM", "NIST", "VOC", "W64", "CAF", "AIFF", "SVX"])
def test_refuses_formats_other_than_wav_flac_ogg_mp3_by_content_whatever_the_name(tmp_path, fmt, no_decoding):
    path = str(tmp_path / "named.wav")
    soundfile.write(path, TONE, 44100, format=fmt, subtype="PCM_16")
    message = rejection(path)
    assert "By its content, 'named.wav' holds audio in the" in message and "WAV, FLAC, OGG or MP3" in message
    assert "By its content, the uploaded data" in rejection(Path(path).read_bytes())  # bytes: judged alike


@pytest.mark.parametrize("fmt", ["WAVEX", "RF64"])
def test_reads_the_wav_variants(tmp_path, fmt):
    path = str(tmp_path / "variant.wav")
    soundfile.write(path, np.stack([TONE, TONE], axis=1), 44100, format=fmt, subtype="PCM_24")
    assert load_audio(path, sr=44100).duration == pytest.approx(1.0)


def test_a_cut_mp3_says_it_is_damaged_instead_of_converting_a_fraction(tmp_path):
    path = tmp_path / "song.mp3"
    soundfile.write(path, np.tile(TONE, 3), 44100, format="MP3")  # 3 s; its Xing header says so
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])
    message = rejection(str(path))
    assert "seems damaged or cut short" in message and "of the 3.00 s its header announces" in message
