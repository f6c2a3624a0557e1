"""Forced alignment of known words to audio with pocketsphinx (its English model ships in the wheel).

Used by the WORLD speech→singing converter when the user types the lyrics, and by the metrics as the
independent judge of intelligibility (ARCHITECTURE.md): an alignment that succeeds, and its mean
per-phone score, say how well the words can still be heard.
"""

from __future__ import annotations

import functools
import re
import threading
from dataclasses import dataclass

import numpy as np

from models.errors import SongbridgeError
from models.features import Audio, to_rate

SAMPLE_RATE = 16000
FRAME_S = 0.01  # pocketsphinx frames
#: the CMU vowels (stress-free, as the pocketsphinx dictionary writes them)
VOWELS = frozenset(["AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW"])

#: A forced alignment "succeeds" only when its mean per-frame phone score is at least this. pocketsphinx
#: aligns wrong words too, just badly: measured here, the right words scored −7…−15 on the two ARCTIC
#: clips and −21…−32 on their WORLD-sung versions; wrong words −40…−78.
ACCEPT_SCORE = -35.0

_lock = threading.Lock()  # the decoder is not thread-safe; one alignment at a time is cheap (≈12× real time)


class AlignmentError(SongbridgeError):
    """The words could not be aligned to the recording (unknown words, or they do not match the audio)."""


@dataclass(frozen=True)
class Phone:
    label: str
    start: float
    end: float
    score: float  # acoustic log-likelihood of the phone (pocketsphinx units); higher is better
    word: int  # which of the text's words it belongs to (0-based)

    @property
    def score_per_frame(self) -> float:
        return self.score / max(1, round((self.end - self.start) / FRAME_S))


#: said when the alignment fails: either the words are not the ones spoken, or the aligner (trained on
#: American English read speech) cannot follow this voice — correct lyrics fail on unusual voices too
NOT_FOLLOWED = (
    "The lyrics could not be aligned to the recording: they may not be the words spoken, or the aligner "
    "(pocketsphinx, trained on American English speech) cannot follow this voice."
)


def normalize_words(text: str) -> list[str]:
    """Lower-case words with letters and apostrophes only; digits and punctuation dropped."""
    return re.findall(r"[a-z']+", text.lower())


@functools.lru_cache(maxsize=1)
def _align_decoder():
    """One decoder, reused under ``_lock``: loading the model costs ≈0.9 s.

    pocketsphinx's live CMN carries the cepstral mean from one utterance into the next, so a reused
    decoder's result would depend on what it aligned before; :func:`align` resets its features first.
    """
    from pocketsphinx import Decoder

    return Decoder(samprate=SAMPLE_RATE, loglevel="FATAL", bestpath=False)


def align(audio: Audio, text: str, *, accept_score: float = ACCEPT_SCORE) -> list[Phone]:
    """Phones of ``text`` with their times in the audio (silences left out).

    Raises :class:`AlignmentError` naming unknown words, or saying the lyrics could not be aligned
    (:data:`NOT_FOLLOWED`).
    """
    words = normalize_words(text)
    if not words:
        raise AlignmentError("The lyrics hold no words to align. Type the words that are spoken.")
    raw = (np.clip(to_rate(audio, SAMPLE_RATE).samples, -1, 1) * 32767).astype(np.int16).tobytes()
    with _lock:
        decoder = _align_decoder()
        decoder.reinit_feat()  # fresh feature state (CMN): the same input aligns the same way whatever came before
        unknown = [w for w in words if decoder.lookup_word(w) is None]
        if unknown:
            raise AlignmentError(
                f"The pronouncing dictionary does not know: {', '.join(sorted(set(unknown)))}. "
                "Spell those words as they sound, or leave the lyrics empty."
            )
        try:
            decoder.set_align_text(" ".join(words))
            for _ in range(2):  # first pass: word alignment; second pass: phones within it
                decoder.start_utt()
                decoder.process_raw(raw, full_utt=True)
                decoder.end_utt()
                if _ == 0:
                    decoder.set_alignment()
            alignment = decoder.get_alignment()
        except RuntimeError:
            raise AlignmentError(NOT_FOLLOWED) from None
        phones, words_seen = [], 0
        for word in alignment:  # one pass: pocketsphinx's entries do not outlive the iteration
            if word.name in ("<sil>", "<s>", "</s>"):
                continue
            for p in word:
                if p.name != "SIL":
                    start, end = p.start * FRAME_S, (p.start + p.duration) * FRAME_S
                    phones.append(Phone(p.name, start, end, float(p.score), words_seen))
            words_seen += 1
    if not phones or np.mean([p.score_per_frame for p in phones]) < accept_score:
        raise AlignmentError(NOT_FOLLOWED)
    return phones


@dataclass(frozen=True)
class AlignmentScore:
    success: bool
    mean_phone_score: float  # mean over phones of score per frame; NaN when the alignment failed


def alignment_score(audio: Audio, text: str) -> AlignmentScore:
    """Intelligibility judged by pocketsphinx: does the alignment succeed (it runs and its mean phone
    score reaches ``ACCEPT_SCORE``), and how well do the phones fit (NaN when it did not run)."""
    try:
        phones = align(audio, text, accept_score=-np.inf)
    except AlignmentError:
        return AlignmentScore(False, float("nan"))
    score = float(np.mean([p.score_per_frame for p in phones]))
    return AlignmentScore(score >= ACCEPT_SCORE, score)


def dictionary_phones(text: str) -> list[str] | None:
    """The CMU phones of ``text`` by pocketsphinx's pronouncing dictionary (first pronunciation of each
    word), or None when a word is not in it."""
    words = normalize_words(text)
    with _lock:
        decoder = _align_decoder()
        pronunciations = [decoder.lookup_word(w) for w in words]
    if not words or any(p is None for p in pronunciations):
        return None
    return [phone for p in pronunciations for phone in p.split()]
