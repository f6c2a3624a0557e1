"""Guide-vocal alignment: where in the speech each moment of a reference singing of the same words is.

The speech and the reference are described frame by frame by features that say *what* is said more than
*who* says it or on what pitch, and aligned by dynamic time warping (librosa's DTW). Two feature kinds:

- ``"mfcc"``: MFCCs 1–20 of the HiFi-GAN log mel, mean- and variance-normalised per recording (removes
  the channel and much of the speaker; the pitch lives mostly above c20's resolution);
- ``"ppg"``: the project's phoneme posteriorgrams (models/ppg: 40 phone posteriors per 10 ms), compared
  by the negative log of their inner product — speaker-independent by training, but trained on the
  synthetic English corpus only.

Which is better is measured, not assumed (``python -m evaluation.tables.guide``); the default is the winner.
Measured (``python -m evaluation.tables.guide corpora/synth80``, 12 synthetic pairs, 346 phone onsets whose
true times are known on both sides): sung phone onsets carried to the speech land a median 11 ms from the
speech's own with either feature (87 % / 90 % within 50 ms), against 218 ms (8 %) for a uniform stretch;
MFCCs take 0.02 s a pair, posteriorgrams 0.19 s. Forced alignment of both sides to typed lyrics
(pocketsphinx, phone onsets joined piecewise-linearly) failed on 3 of the 12 pairs (the sung side) and
reached 15 ms (81 % within 50 ms) on the rest, at 0.38 s a pair. MFCCs are the default: as accurate as
any, the fastest, needing no lyrics and not tied to English.

Do the words match? :attr:`GuideAlignment.match` is the path's mean frame distance divided by that of the
same speech aligned to the reference played backwards (same sounds, wrong order): well under 1 when the
words match, about 1 when they do not. With MFCCs, matched pairs scored at most 0.949 (synthetic) and
0.948 (PJS test), mismatched ones (the speech against another pair's song) at least 0.983 and 0.922
(median 0.997); :data:`MISMATCH_RATIO` = 0.96 catches most mismatches and no matched pair.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models import features
from models.features import HIFIGAN_MEL, Audio

#: frame step of the alignment (the HiFi-GAN mel hop, about 11.6 ms)
HOP_S = HIFIGAN_MEL.frame_seconds
FEATURES = ("mfcc", "ppg")
MISMATCH_RATIO = 0.96


@dataclass(frozen=True)
class GuideAlignment:
    #: speech time (s) at each reference time in ``reference_times``; monotone non-decreasing
    speech_times: np.ndarray
    reference_times: np.ndarray
    #: mean path distance ÷ mean distance of all frame pairs
    cost: float
    #: ``cost`` ÷ the cost against the reference reversed in time (≈ 1 when the words do not match)
    match: float = float("nan")

    @property
    def words_match(self) -> bool:
        return not self.match >= MISMATCH_RATIO

    def speech_time_at(self, times: np.ndarray) -> np.ndarray:
        """Speech time for any reference times (linear between path points)."""
        return np.interp(times, self.reference_times, self.speech_times)


def mfcc_frames(audio: Audio) -> np.ndarray:
    """(frames, 20) MFCCs 1–20 of the HiFi-GAN log mel, mean- and variance-normalised per recording."""
    from scipy.fft import dct

    mel = features.log_mel(audio)
    coefficients = dct(mel, type=2, norm="ortho", axis=0)[1:21].T
    return (coefficients - coefficients.mean(axis=0)) / (coefficients.std(axis=0) + 1e-8)


def _frames(audio: Audio, kind: str) -> tuple[np.ndarray, float]:
    """(frames × dims, hop seconds) of one recording."""
    if kind == "mfcc":
        return mfcc_frames(audio), HOP_S
    if kind == "ppg":
        from models.ppg.recognizer import load_default

        recognizer = load_default()
        return recognizer.posteriorgram(audio), recognizer.frame_seconds
    raise ValueError(f"unknown guide feature {kind!r}; use one of {', '.join(FEATURES)}")


def _distances(a: np.ndarray, b: np.ndarray, kind: str) -> np.ndarray:
    if kind == "ppg":
        return -np.log(np.clip(a @ b.T, 1e-6, None))
    from scipy.spatial.distance import cdist

    return cdist(a, b)  # (n_a, n_b) without an (n_a, n_b, dims) temporary: 60 s × 20 s stays ~70 MB


def _path(reference_frames: np.ndarray, speech_frames: np.ndarray, kind: str) -> tuple[np.ndarray, float]:
    """The DTW path (reference index, speech index), start first, and its relative cost."""
    import librosa

    cost_matrix = _distances(reference_frames, speech_frames, kind)
    _, path = librosa.sequence.dtw(C=cost_matrix, backtrack=True)
    path = path[::-1]
    chance = float(cost_matrix.mean())
    along = float(cost_matrix[path[:, 0], path[:, 1]].mean())
    return path, along / chance if chance > 0 else float("nan")


def align_to_guide(speech: Audio, reference: Audio, *, kind: str = "mfcc") -> GuideAlignment:
    """Align ``speech`` to a ``reference`` singing of the same words (see the module docstring)."""
    speech_frames, hop = _frames(speech, kind)
    reference_frames, _ = _frames(reference, kind)
    path, cost = _path(reference_frames, speech_frames, kind)
    _, backwards = _path(reference_frames[::-1], speech_frames, kind)
    # one speech time per reference frame: the mean of the speech frames the path pairs it with
    n_ref = len(reference_frames)
    sums = np.bincount(path[:, 0], weights=path[:, 1], minlength=n_ref)
    counts = np.bincount(path[:, 0], minlength=n_ref)
    speech_index = np.maximum.accumulate(sums / np.maximum(counts, 1))
    return GuideAlignment(
        speech_times=speech_index * hop,
        reference_times=np.arange(n_ref) * hop,
        cost=cost,
        match=cost / backwards if backwards > 0 else float("nan"),
    )
