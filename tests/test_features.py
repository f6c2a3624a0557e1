import numpy as np
import pytest
import torch

from evaluation.synthetic import chirp, sine, standard_set
from models import features
from models.features import HIFIGAN_MEL, ICASSP2020_LINEAR, Audio


def hifigan_reference_mel(samples: np.ndarray) -> np.ndarray:
    """HiFi-GAN's meldataset.mel_spectrogram recipe, restated with torch.stft as an independent check."""
    y = torch.from_numpy(samples)[None]
    y = torch.nn.functional.pad(y[None], (384, 384), mode="reflect")[0]
    spec = torch.stft(
        y,
        1024,
        hop_length=256,
        win_length=1024,
        window=torch.hann_window(1024),
        center=False,
        return_complex=True,
    )
    magnitude = torch.sqrt(spec.real**2 + spec.imag**2 + 1e-9)
    filters = torch.from_numpy(features.mel_filters(22050, 1024, 80, 0.0, 8000.0).copy())
    return torch.log(torch.clamp(filters @ magnitude, min=1e-5))[0].numpy()


@pytest.mark.parametrize("n_samples", [22050, 22050 + 100, 256 * 37])
def test_mel_shape_and_values_match_the_hifigan_recipe(rng, n_samples):
    samples = (0.1 * rng.standard_normal(n_samples)).astype(np.float32)
    mel = features.log_mel(Audio(samples, 22050))
    assert mel.shape == (80, n_samples // 256) == (80, HIFIGAN_MEL.n_frames(n_samples))
    np.testing.assert_allclose(mel, hifigan_reference_mel(samples), atol=2e-4)


def test_mel_peak_sits_at_the_tone_and_silence_hits_the_clamp():
    tone = sine(1000.0, seconds=1.0).audio.samples
    mel = features.log_mel(Audio(tone, 22050))
    peak_hz = features.mel_bin_frequencies()[int(np.argmax(mel[:, 40]))]
    assert abs(1200 * np.log2(peak_hz / 1000.0)) < 150
    silent = features.log_mel(Audio(np.zeros(22050, np.float32), 22050))
    np.testing.assert_allclose(silent, np.log(1e-5), atol=1e-6)


def test_linear_spec_is_log1p_of_the_magnitude():
    samples = sine(440.0, seconds=1.0, sr=16000).audio.samples
    spec = features.spectrogram(Audio(samples, 16000), ICASSP2020_LINEAR)
    assert spec.shape == (513, 16000 // 256)
    np.testing.assert_allclose(
        features.decompress(spec, ICASSP2020_LINEAR),
        features.magnitude(samples, ICASSP2020_LINEAR),
        rtol=1e-4,
        atol=1e-5,
    )


@pytest.mark.parametrize("method", ["fast", "accurate"])
@pytest.mark.parametrize(
    "signal", [sine(110.0), sine(440.0), chirp(100.0, 600.0), chirp(700.0, 150.0)], ids=lambda s: s.name
)
def test_f0_on_sines_and_chirps_within_20_cents(method, signal):
    track = features.f0(signal.audio, method=method)
    inside = (track.times > 0.1) & (track.times < signal.audio.duration - 0.1)
    assert track.voiced[inside].mean() > 0.95
    voiced = inside & track.voiced
    cents = np.abs(1200 * np.log2(track.hz[voiced] / signal.truth(track.times[voiced])))
    assert np.median(cents) < 20 and np.percentile(cents, 95) < 50


def test_f0_tracks_vibrato_in_noise():
    for signal in standard_set()[-5:]:
        track = features.f0(signal.audio, method="fast")
        inside = (track.times > 0.1) & (track.times < signal.audio.duration - 0.1) & track.voiced
        cents = np.abs(1200 * np.log2(track.hz[inside] / signal.truth(track.times[inside])))
        assert np.median(cents) < 20, signal.name


def test_remove_silence_drops_long_gaps_and_keeps_short_ones():
    sr = 16000
    tone = sine(200.0, seconds=0.5, sr=sr).audio.samples
    long_gap, short_gap = np.zeros(sr, np.float32), np.zeros(200, np.float32)  # 1 s and 12.5 ms
    trimmed = features.remove_silence(Audio(np.concatenate([tone, long_gap, tone]), sr))
    assert abs(trimmed.duration - 1.0) < 0.1
    kept = features.remove_silence(Audio(np.concatenate([tone, short_gap, tone]), sr))
    assert len(kept.samples) == 2 * len(tone) + len(short_gap)


@pytest.mark.parametrize("target", [11025, 44100, 30001])
def test_stretch_reaches_the_exact_length_and_keeps_the_pitch(target):
    audio = sine(220.0, seconds=1.0).audio
    stretched = features.stretch_to_length(audio, target)
    assert len(stretched.samples) == target
    hz = features.f0(stretched, method="fast").hz
    assert abs(1200 * np.log2(np.median(hz[hz > 0]) / 220.0)) < 20
