"""DNSMOS P.835 (Reddy et al., ICASSP 2022): a reference-free quality estimate, the objective figure that
singing-conversion papers such as Seed-VC report beside their listening tests.

The ONNX models ship inside the pinned ``speechmos`` wheel (Microsoft's DNS-Challenge release, MIT), so
nothing is downloaded; ``onnxruntime`` runs them on the CPU. We report OVRL (overall quality, 1–5) and
SIG (speech signal quality). The package's own scoring is used as it is: 9.01 s windows with a 1 s hop,
shorter clips repeated to fill one window, the non-personalised polynomial calibration.

Limits, said wherever the column is shown: DNSMOS was trained on ratings of *noisy and enhanced speech*,
not of singing, nor of converted or vocoded voices. It hears noise, band limits and processing artefacts;
it does not know what good singing sounds like, and it rates a clean sine or a monotone tone without
penalty for not being a voice. Read it as "how clean does this sound", next to the listening tests.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass

import numpy as np

from models.features import Audio, to_rate

SAMPLE_RATE = 16000  # the models' rate
PACKAGE_VERSION = "0.0.1.1"  # speechmos, pinned in requirements-dev.txt
_lock = threading.Lock()


@dataclass(frozen=True)
class Dnsmos:
    ovrl: float  # overall quality, 1–5
    sig: float  # speech-signal quality, 1–5
    bak: float  # background-noise quality, 1–5


@functools.lru_cache(maxsize=1)
def _run():
    from speechmos import dnsmos

    return dnsmos.run


def dnsmos(audio: Audio) -> Dnsmos:
    """DNSMOS P.835 of ``audio`` (resampled to 16 kHz, clipped to ±1). NaN for an empty or silent clip."""
    samples = to_rate(audio, SAMPLE_RATE).samples.astype(np.float32)
    if len(samples) < SAMPLE_RATE // 10 or not np.any(samples):
        return Dnsmos(float("nan"), float("nan"), float("nan"))
    samples = np.clip(samples, -1.0, 1.0)
    with _lock:  # the package keeps one session in a module global
        scores = _run()(samples, SAMPLE_RATE)
    return Dnsmos(float(scores["ovrl_mos"]), float(scores["sig_mos"]), float(scores["bak_mos"]))
