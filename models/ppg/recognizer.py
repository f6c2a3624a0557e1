"""The phoneme recognizer's public API: posteriorgrams and phone strings of any audio.

>>> from models.ppg.recognizer import load_default
>>> recognizer = load_default()                  # the bundled models/checkpoints/ppg.pt, loaded once
>>> recognizer.posteriorgram(audio).shape        # (T, 40): one row per 10 ms frame, rows sum to 1
>>> recognizer.phones(audio)                     # [(start_s, end_s, "HH"), ...] runs of the best phone
>>> recognizer.recognize_phones(audio)           # ["HH", "AH", "L", "OW"]: no SIL, no repeats

Columns follow :data:`models.corpus.phones.PHONES` (the 39 CMU phones, then SIL). Frame t covers the
audio around ``(t + 0.5) · frame_seconds``. Shared by the models (content features) and the metrics
(:func:`phone_error_rate`, the benchmark's "PER (ppg)").
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence

import numpy as np
import torch

from models.base import load_checkpoint
from models.corpus.phones import PHONES, phone_sequence
from models.features import Audio
from models.ppg.data import SPEC, mel_of
from models.ppg.model import PhoneRecognizerNet, PPGConfig

DEFAULT_CHECKPOINT = os.path.join(os.path.dirname(os.path.dirname(__file__)), "checkpoints", "ppg.pt")
#: runs of the best phone shorter than this many frames are merged into a neighbour by :meth:`phones`
MIN_RUN_FRAMES = 2

PhoneSegment = tuple[float, float, str]


class PhoneRecognizer:
    """A trained :class:`PhoneRecognizerNet` with the feature settings it was trained on."""

    phone_set = PHONES
    frame_seconds = SPEC.frame_seconds
    sample_rate = SPEC.sample_rate

    def __init__(self, net: PhoneRecognizerNet):
        self.net = net.eval()

    @classmethod
    def from_checkpoint(cls, path: str | os.PathLike = DEFAULT_CHECKPOINT) -> PhoneRecognizer:
        """Load a ``ppg`` checkpoint (``weights_only``, strict); refuses other models or feature settings."""
        checkpoint = load_checkpoint(path, model="ppg", feature_spec=SPEC)
        net = PhoneRecognizerNet(PPGConfig.from_dict(checkpoint.config["model"]))
        net.load_state_dict(checkpoint.state_dict, strict=True)
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
        """``audio`` as runs of its most likely phone, SIL included: [(start_s, end_s, phone), ...]."""
        return segments(self.posteriorgram(audio).argmax(axis=1), self.frame_seconds)

    def recognize_phones(self, audio: Audio) -> list[str]:
        """The phones heard in ``audio``, SIL and repeats left out (what phone error rates compare)."""
        return phone_sequence([phone for _, _, phone in self.phones(audio)])


@functools.lru_cache(maxsize=1)
def load_default() -> PhoneRecognizer:
    """The bundled recognizer (models/checkpoints/ppg.pt), loaded once per process."""
    return PhoneRecognizer.from_checkpoint(DEFAULT_CHECKPOINT)


def segments(
    frame_classes: Sequence[int], frame_seconds: float, *, min_frames: int = MIN_RUN_FRAMES
) -> list[PhoneSegment]:
    """Runs of equal class as (start_s, end_s, phone); runs shorter than ``min_frames`` join the run before
    them (a one-frame flicker between two phones is not a phone)."""
    runs: list[list] = []  # [first frame, frames, class]
    for t, c in enumerate(np.asarray(frame_classes).tolist()):
        if runs and runs[-1][2] == c:
            runs[-1][1] += 1
        else:
            runs.append([t, 1, c])
    kept: list[list] = []
    for run in runs:
        if kept and (run[1] < min_frames or kept[-1][2] == run[2]):
            kept[-1][1] += run[1]
        else:
            kept.append(run)
    if len(kept) > 1 and kept[0][1] < min_frames:  # a short first run joins the next
        kept[1] = [kept[0][0], kept[0][1] + kept[1][1], kept[1][2]]
        kept.pop(0)
    return [(start * frame_seconds, (start + n) * frame_seconds, PHONES[c]) for start, n, c in kept]


def phone_error_rate(*, hypothesis: Sequence[str], reference: Sequence[str]) -> float:
    """(S + D + I) / N over the phones of each side with SIL removed and repeats merged
    (:func:`models.corpus.phones.phone_sequence`); may exceed 1; NaN for an empty reference."""
    from evaluation.intelligibility import phone_error_rate as per

    return per(reference=reference, hypothesis=hypothesis)
