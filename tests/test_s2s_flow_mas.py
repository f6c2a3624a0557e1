"""Monotonic alignment search: equal to brute force, monotonic, and defined with more units than frames."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from models.s2s_flow.mas import durations, maximum_path


def path_score(assignment, logp, skip_penalty):
    skipped = logp.shape[0] - len(set(assignment))
    return sum(logp[u, t] for t, u in enumerate(assignment)) - skip_penalty * skipped


def brute_force(logp, skip_penalty):
    """Best score over every non-decreasing unit sequence (plain: also starting at 0, ending at U−1, no gaps)."""
    n_units, n_frames = logp.shape
    best, best_path = -np.inf, None
    for assignment in itertools.combinations_with_replacement(range(n_units), n_frames):
        if not np.isfinite(skip_penalty) and set(assignment) != set(range(n_units)):
            continue
        score = path_score(assignment, logp, 0.0 if not np.isfinite(skip_penalty) else skip_penalty)
        if score > best:
            best, best_path = score, assignment
    return best, best_path


def as_assignment(path):
    assert np.all(path.sum(axis=0) == 1), "every frame must belong to exactly one unit"
    return tuple(int(u) for u in path.argmax(axis=0))


@pytest.mark.parametrize("skip_penalty", [0.0, 0.7, 3.0, np.inf])
@pytest.mark.parametrize("seed", range(12))
def test_equals_brute_force_on_random_small_cases(seed, skip_penalty):
    rng = np.random.default_rng(seed)
    n_units = int(rng.integers(1, 5))
    n_frames = int(rng.integers(n_units if not np.isfinite(skip_penalty) else 1, 7))
    logp = rng.normal(size=(n_units, n_frames))
    best, best_path = brute_force(logp, skip_penalty)
    assignment = as_assignment(maximum_path(logp, skip_penalty=skip_penalty))
    assert assignment == best_path
    penalty = skip_penalty if np.isfinite(skip_penalty) else 0.0
    assert path_score(assignment, logp, penalty) == pytest.approx(best)


def test_batched_equals_one_by_one_with_lengths():
    rng = np.random.default_rng(5)
    logp = rng.normal(size=(3, 6, 9))
    units, frames = np.array([6, 4, 2]), np.array([9, 5, 7])
    batched = maximum_path(logp, unit_lengths=units, frame_lengths=frames, skip_penalty=1.0)
    for i in range(3):
        alone = maximum_path(logp[i, : units[i], : frames[i]], skip_penalty=1.0)
        np.testing.assert_array_equal(batched[i, : units[i], : frames[i]], alone)
        assert batched[i].sum() == frames[i]


@pytest.mark.parametrize("seed", range(5))
def test_path_is_monotonic_and_covers_every_frame(seed):
    rng = np.random.default_rng(seed)
    path = maximum_path(rng.normal(size=(17, 60)) * 5)
    assignment = np.array(as_assignment(path))
    assert np.all(np.diff(assignment) >= 0)
    assert durations(path).sum() == 60


def test_more_units_than_frames_gives_a_monotonic_path_over_every_frame():
    rng = np.random.default_rng(0)
    logp = rng.normal(size=(40, 15))
    with pytest.raises(ValueError, match="at least as many frames"):
        maximum_path(logp, skip_penalty=np.inf)
    path = maximum_path(logp)
    assignment = np.array(as_assignment(path))
    assert np.all(np.diff(assignment) >= 0)
    assert path.shape == (40, 15) and durations(path).sum() == 15
    assert (durations(path) == 0).sum() >= 25  # at least 40 − 15 units had to be skipped


def test_skipping_is_used_only_when_it_pays():
    """Unit 1 fits no frame: with a small penalty it is skipped, with a large one it keeps a frame."""
    logp = np.array([[0.0, 0.0, -9.0, -9.0], [-5.0, -4.0, -5.0, -5.0], [-9.0, -9.0, 0.0, 0.0]])
    assert durations(maximum_path(logp, skip_penalty=1.0)).tolist() == [2, 0, 2]
    assert durations(maximum_path(logp, skip_penalty=20.0)).tolist() == [1, 1, 2]
