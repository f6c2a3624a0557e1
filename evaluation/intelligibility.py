"""Intelligibility, judged independently of every Songbridge model (ARCHITECTURE.md).

Sung output: pocketsphinx forced alignment against the known lyrics — success and mean per-phone score —
is primary (its free recognition mostly fails on singing). Speech output: the word error rate of
pocketsphinx's own recognizer (bundled US-English acoustic and language model) is primary.

The phone error rate of the project's own phoneme recognizer (models/ppg) plugs in through
:class:`PhoneRecognizer`: pass one to :func:`intelligibility` and the ``per`` column fills in. That
recognizer was trained on the same synthetic corpus as the models it judges, so its PER is reported
beside pocketsphinx's measures, never instead of them.
"""

from __future__ import annotations

import functools
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from models.corpus.phones import phone_sequence
from models.features import Audio, to_rate
from models.forced_align import SAMPLE_RATE, alignment_score, normalize_words

_lock = threading.Lock()  # one pocketsphinx decoder, used by one thread at a time


class PhoneRecognizer(Protocol):
    """What the project's phoneme recognizer (models.ppg.recognizer.PhoneRecognizer) offers the benchmark."""

    def recognize_phones(self, audio: Audio) -> list[str]:
        """CMU-39 phones (no SIL) heard in ``audio``."""
        ...


@dataclass(frozen=True)
class Intelligibility:
    aligned: bool  # forced alignment of the text succeeded (models.forced_align.ACCEPT_SCORE)
    phone_score: float  # mean per-frame phone score of that alignment; NaN when it could not run
    wer: float  # word error rate of pocketsphinx's free recognition against the text
    hypothesis: str  # what the recognizer heard
    per: float = float("nan")  # phone error rate of a PhoneRecognizer; NaN until one is given


def edit_distance(*, reference: Sequence, hypothesis: Sequence) -> int:
    """Levenshtein distance (substitutions + deletions + insertions, each cost 1) between two sequences."""
    previous = np.arange(len(hypothesis) + 1)
    for i, ref_token in enumerate(reference, start=1):
        current = np.empty_like(previous)
        current[0] = i
        for j, hyp_token in enumerate(hypothesis, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref_token != hyp_token))
        previous = current
    return int(previous[-1])


def error_rate(*, reference: Sequence, hypothesis: Sequence) -> float:
    """(S + D + I) / N for N reference tokens, from :func:`edit_distance`; may exceed 1; NaN when N = 0."""
    if not len(reference):
        return float("nan")
    return edit_distance(reference=reference, hypothesis=hypothesis) / len(reference)


def word_error_rate(*, reference: str, hypothesis: str) -> float:
    """WER over lower-cased words (letters and apostrophes; :func:`models.forced_align.normalize_words`)."""
    return error_rate(reference=normalize_words(reference), hypothesis=normalize_words(hypothesis))


def phone_error_rate(*, reference: Sequence[str], hypothesis: Sequence[str]) -> float:
    """PER over phone labels, SIL ignored and repeated phones merged on both sides
    (:func:`models.corpus.phones.phone_sequence`: a frame-wise recognizer cannot hear "N N" as two)."""
    return error_rate(reference=phone_sequence(list(reference)), hypothesis=phone_sequence(list(hypothesis)))


@functools.lru_cache(maxsize=1)
def _recognizer():
    from pocketsphinx import Decoder

    return Decoder(samprate=SAMPLE_RATE, loglevel="FATAL")  # default: the bundled en-us model, LM, dictionary


def recognize(audio: Audio) -> str:
    """Words pocketsphinx hears in ``audio`` (free recognition, its bundled US-English language model)."""
    raw = (np.clip(to_rate(audio, SAMPLE_RATE).samples, -1, 1) * 32767).astype(np.int16).tobytes()
    with _lock:
        decoder = _recognizer()
        # Live CMN carries the cepstral mean from one utterance into the next: without a reset, the same
        # output was heard differently after a burst of noise, so WER depended on what was scored before it.
        decoder.reinit_feat()
        decoder.start_utt()
        decoder.process_raw(raw, full_utt=True)
        decoder.end_utt()
        hypothesis = decoder.hyp()
    return hypothesis.hypstr if hypothesis is not None else ""


def intelligibility(
    *,
    audio: Audio,
    text: str,
    reference_phones: Sequence[str] | None = None,
    phone_recognizer: PhoneRecognizer | None = None,
) -> Intelligibility:
    """Every intelligibility measure of ``audio`` against its known ``text``.

    ``per`` is filled only when both a ``phone_recognizer`` and the ``reference_phones`` are given.
    """
    alignment = alignment_score(audio, text)
    hypothesis = recognize(audio)
    per = math.nan
    if phone_recognizer is not None and reference_phones is not None:
        per = phone_error_rate(
            reference=reference_phones, hypothesis=phone_recognizer.recognize_phones(audio)
        )
    return Intelligibility(
        aligned=alignment.success,
        phone_score=alignment.mean_phone_score,
        wer=word_error_rate(reference=text, hypothesis=hypothesis),
        hypothesis=hypothesis,
        per=per,
    )
