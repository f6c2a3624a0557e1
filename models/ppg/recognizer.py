"""The phoneme recognizer's public API: posteriorgrams and phone strings of any audio.

>>> from models.ppg.recognizer import load_default
>>> recognizer = load_default()                  # the bundled models/checkpoints/ppg.pt, loaded once
>>> recognizer.posteriorgram(audio).shape        # (T, 40): one row per 10 ms frame, rows sum to 1
>>> recognizer.phones(audio)                     # [(start_s, end_s, "HH"), ...] runs of the best phone
>>> recognizer.recognize_phones(audio)           # ["HH", "AH", "L", "OW"]: no SIL, no repeats

Columns follow :data:`models.corpus.phones.PHONES` (the 39 CMU phones, then SIL). Frame t covers the
audio around ``(t + 0.5) · frame_seconds``. Shared by the models (content features) and the metrics
(scored by :func:`evaluation.intelligibility.phone_error_rate`: the benchmark's "PER (ppg)").
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence

import numpy as np
import torch

from models.base import load_model
from models.corpus.phones import PHONES, phone_sequence
from models.features import Audio
from models.ppg.data import SPEC, mel_of
from models.ppg.model import PhoneRecognizerNet, PPGConfig

DEFAULT_CHECKPOINT = os.path.join(os.path.dirname(os.path.dirname(__file__)), "checkpoints", "ppg.pt")
#: log-probability cost of a change of phone on the decoded path (:func:`best_path`); it removes the
#: one- and two-frame flickers of a frame-wise argmax. Chosen by PER on the corpus's valid split
#: (``python -m evaluation.tables.ppg --tune``), never on the test split or the real-voice set.
SWITCH_PENALTY = 3.0

PhoneSegment = tuple[float, float, str]


class PhoneRecognizer:
    """A trained :class:`PhoneRecognizerNet` with the feature settings it was trained on."""

    phone_set = PHONES
    frame_seconds = SPEC.frame_seconds
    sample_rate = SPEC.sample_rate

    def __init__(self, net: PhoneRecognizerNet, *, switch_penalty: float = SWITCH_PENALTY):
        self.net = net.eval()
        self.switch_penalty = switch_penalty

    @classmethod
    def from_checkpoint(cls, path: str | os.PathLike = DEFAULT_CHECKPOINT) -> PhoneRecognizer:
        """Load a ``ppg`` checkpoint (``weights_only``, strict); refuses other models or feature settings."""
        net, _ = load_model(
            path, model="ppg", feature_spec=SPEC, build=lambda c: PhoneRecognizerNet(PPGConfig.from_dict(c))
        )
        return cls(net)

    @torch.inference_mode()
    def posteriorgram_of_mel(self, mel: np.ndarray) -> np.ndarray:
        """(n_mels, T) log mel of :data:`models.features.PPG_MEL` → (T, 40) float32 posteriors."""
        logits = self.net(torch.from_numpy(np.asarray(mel, dtype=np.float32)).unsqueeze(0))
        return torch.softmax(logits[0], dim=0).T.contiguous().numpy()

    def posteriorgram(self, audio: Audio) -> np.ndarray:
        """(T, 40) float32 phone posteriors of ``audio`` (any rate; resampled to 16 kHz), T = samples // 160."""
        return self.posteriorgram_of_mel(mel_of(audio))

    def phones(self, audio: Audio) -> list[PhoneSegment]:
        """``audio`` as phone segments, SIL included: [(start_s, end_s, phone), ...] (:meth:`decode`)."""
        return self.decode(self.posteriorgram(audio))

    def decode(self, posteriors: np.ndarray) -> list[PhoneSegment]:
        """(T, 40) posteriors → the segments of :func:`best_path` with this recognizer's switch penalty."""
        return segments(best_path(posteriors, switch_penalty=self.switch_penalty), self.frame_seconds)

    def recognize_phones(self, audio: Audio) -> list[str]:
        """The phones heard in ``audio``, SIL and repeats left out (what phone error rates compare)."""
        return phone_sequence([phone for _, _, phone in self.phones(audio)])


@functools.lru_cache(maxsize=1)
def load_default() -> PhoneRecognizer:
    """The bundled recognizer (models/checkpoints/ppg.pt), loaded once per process."""
    return PhoneRecognizer.from_checkpoint(DEFAULT_CHECKPOINT)


def best_path(posteriors: np.ndarray, *, switch_penalty: float) -> np.ndarray:
    """(T,) phone indices maximizing Σ log p(phone_t) − ``switch_penalty`` · (number of phone changes).

    Viterbi over a fully connected model whose every change costs the same; ``switch_penalty = 0`` is the
    frame-wise argmax. O(T · C): the best predecessor of a phone is either itself or the overall best.
    """
    logp = np.log(np.asarray(posteriors, dtype=np.float64) + 1e-10)
    frames, classes = logp.shape
    if frames == 0:
        return np.zeros(0, dtype=np.int64)
    score = logp[0].copy()
    came_from = np.zeros((frames, classes), dtype=np.int64)
    stay = np.arange(classes)
    for t in range(1, frames):
        best = int(score.argmax())
        jump = score[best] - switch_penalty
        switch = jump > score
        came_from[t] = np.where(switch, best, stay)
        score = np.where(switch, jump, score) + logp[t]
    path = np.empty(frames, dtype=np.int64)
    path[-1] = int(score.argmax())
    for t in range(frames - 1, 0, -1):
        path[t - 1] = came_from[t, path[t]]
    return path


def segments(frame_classes: Sequence[int], frame_seconds: float) -> list[PhoneSegment]:
    """Runs of equal class (indices into PHONES) as (start_s, end_s, phone)."""
    found: list[PhoneSegment] = []
    start = 0
    classes = np.asarray(frame_classes).tolist()
    for t in range(1, len(classes) + 1):
        if t == len(classes) or classes[t] != classes[start]:
            found.append((start * frame_seconds, t * frame_seconds, PHONES[classes[start]]))
            start = t
    return found
