"""Automatic alignment of a user's clean/target recordings: DTW on features, with its quality reported.

The Scream Machine author aligned his re-recorded album to the original by hand. Here the target is put
on the clean recording's time axis by dynamic time warping (models/dtw.py) on features that an
effect or another voice changes little: the first eight mel-cepstra (c0, the level contour, included)
of the HiFi-GAN log-mel, smoothed over 5 frames (58 ms), each normalised over the recording (so a static
change of timbre, tilt or level cancels), with their deltas. On corpus growl pairs these gave a path
cost ratio of 0.41–0.51 against 0.80–0.83 for mismatched pairs (mel-cepstra 1–19 unsmoothed: 0.64–0.84
against 0.88–0.94), so a ratio above 0.7 is flagged. Every clean frame then takes the mean of the
target frames the path pairs it with.

Quality, per pair (:class:`AlignmentQuality`): ``cost_ratio`` is the mean feature distance along the
path over the mean distance of all frame pairs (0 is a perfect match, about 1 means the path found
nothing better than chance); ``max_hold_s`` the longest stretch where one side stood still; and
``length_ratio`` target/clean. A pair is flagged ``poor`` past the thresholds below, and the trainer
reports every pair's numbers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from models.dtw import dtw, pairwise_euclidean
from models.features import HIFIGAN_MEL

N_CEPS = 8
SMOOTH_FRAMES = 5
POOR_COST_RATIO = 0.7
POOR_HOLD_S = 0.6
MAX_FRAMES = 8000  # about 93 s a side: DTW's cost matrix grows with the product of the lengths


@dataclass(frozen=True)
class AlignmentQuality:
    cost_ratio: float
    max_hold_s: float
    length_ratio: float
    diagonal_fraction: float

    @property
    def poor(self) -> bool:
        return self.cost_ratio > POOR_COST_RATIO or self.max_hold_s > POOR_HOLD_S

    def to_dict(self) -> dict:
        return {**{k: round(v, 4) for k, v in asdict(self).items()}, "poor": self.poor}


def alignment_features(log_mel: np.ndarray) -> np.ndarray:
    """(80, T) log-mel → (T, 2·8) smoothed, normalised mel-cepstra 0–7 and their deltas."""
    from scipy.fft import dct
    from scipy.ndimage import uniform_filter1d

    ceps = dct(np.asarray(log_mel, dtype=np.float64), type=2, norm="ortho", axis=0)[:N_CEPS].T
    ceps = uniform_filter1d(ceps, SMOOTH_FRAMES, axis=0, mode="nearest")
    ceps = (ceps - ceps.mean(axis=0)) / (ceps.std(axis=0) + 1e-6)
    delta = np.gradient(ceps, axis=0) if len(ceps) > 1 else np.zeros_like(ceps)
    return np.concatenate([ceps, delta], axis=1)


def align(clean_mel: np.ndarray, target_mel: np.ndarray) -> tuple[np.ndarray, AlignmentQuality]:
    """Map the target onto the clean recording's frames.

    Args: ``clean_mel`` (80, N), ``target_mel`` (80, M) log-mels. Returns the DTW path (K, 2) of
    (clean frame, target frame) index pairs and its quality.
    """
    n, m = clean_mel.shape[1], target_mel.shape[1]
    if max(n, m) > MAX_FRAMES:
        seconds = MAX_FRAMES * HIFIGAN_MEL.hop_length / HIFIGAN_MEL.sample_rate
        raise ValueError(f"a pair side is longer than {seconds:.0f} s; cut long recordings into phrases")
    a, b = alignment_features(clean_mel), alignment_features(target_mel)
    cost = pairwise_euclidean(a=a, b=b)
    _, path = dtw(cost=cost)
    along = cost[path[:, 0], path[:, 1]].mean()
    steps = np.diff(path, axis=0)
    diagonal = np.all(steps == 1, axis=1)
    return path, AlignmentQuality(
        cost_ratio=float(along / max(cost.mean(), 1e-9)),
        max_hold_s=_longest_hold(steps) * HIFIGAN_MEL.hop_length / HIFIGAN_MEL.sample_rate,
        length_ratio=m / max(n, 1),
        diagonal_fraction=float(diagonal.mean()) if len(diagonal) else 1.0,
    )


def _longest_hold(steps: np.ndarray) -> int:
    """Longest run of steps in which one side did not advance."""
    longest = run = 0
    for held in np.any(steps == 0, axis=1):
        run = run + 1 if held else 0
        longest = max(longest, run)
    return longest


def warp_to_clean(target_mel: np.ndarray, path: np.ndarray, n_clean: int) -> np.ndarray:
    """(80, M) target log-mel → (80, N) on the clean frames: the mean of the target frames each clean frame
    is paired with (in the linear mel domain, so averaging does not darken)."""
    linear = np.exp(target_mel)
    sums = np.zeros((target_mel.shape[0], n_clean))
    counts = np.zeros(n_clean)
    np.add.at(sums.T, path[:, 0], linear[:, path[:, 1]].T)
    np.add.at(counts, path[:, 0], 1)
    return np.log(np.maximum(sums / np.maximum(counts, 1), HIFIGAN_MEL.clamp)).astype(np.float32)


def frame_map(path: np.ndarray, n_clean: int) -> np.ndarray:
    """(N,) the mean target frame index each clean frame is paired with."""
    sums = np.bincount(path[:, 0], weights=path[:, 1], minlength=n_clean)
    counts = np.bincount(path[:, 0], minlength=n_clean)
    return sums / np.maximum(counts, 1)
