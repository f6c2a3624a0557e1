"""DNSMOS runs offline from the ONNX models inside the pinned speechmos wheel, and is deterministic."""

import math

import numpy as np

from evaluation.dnsmos import dnsmos
from models.features import Audio, load_audio
from tests.conftest import SPEECH_EXAMPLE


def test_dnsmos_is_deterministic_and_hears_added_noise():
    speech = load_audio(SPEECH_EXAMPLE)
    first, second = dnsmos(speech), dnsmos(speech)
    assert first == second  # bit-identical across runs
    assert 1.0 <= first.ovrl <= 5.0 and 1.0 <= first.sig <= 5.0
    noise = np.random.default_rng(0).standard_normal(len(speech.samples)).astype(np.float32)
    rms = float(np.sqrt(np.mean(speech.samples**2)))
    noisy = Audio(np.clip(speech.samples + rms * noise, -1, 1), speech.sr)  # 0 dB SNR white noise
    assert dnsmos(noisy).ovrl < first.ovrl - 0.5
    assert dnsmos(noisy).bak < first.bak - 0.5


def test_dnsmos_of_silence_is_nan():
    assert math.isnan(dnsmos(Audio(np.zeros(16000, np.float32), 16000)).ovrl)
