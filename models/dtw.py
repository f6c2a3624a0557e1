"""Dynamic time warping on a frame-distance matrix (Numba), for MCD between signals of different timing."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _accumulate(cost: np.ndarray) -> np.ndarray:
    n, m = cost.shape
    total = np.full((n, m), np.inf)
    total[0, 0] = cost[0, 0]
    for i in range(n):
        for j in range(m):
            if i == 0 and j == 0:
                continue
            best = np.inf
            if i > 0:
                best = min(best, total[i - 1, j])
            if j > 0:
                best = min(best, total[i, j - 1])
            if i > 0 and j > 0:
                best = min(best, total[i - 1, j - 1])
            total[i, j] = cost[i, j] + best
    return total


@njit(cache=True)
def _backtrack(total: np.ndarray) -> np.ndarray:
    i, j = total.shape[0] - 1, total.shape[1] - 1
    path = np.empty((i + j + 1, 2), dtype=np.int64)
    k = 0
    while True:
        path[k, 0], path[k, 1] = i, j
        k += 1
        if i == 0 and j == 0:
            break
        # Prefer the diagonal on ties, so equal-cost paths are the shortest.
        step, best = 0, np.inf
        if i > 0 and j > 0:
            step, best = 0, total[i - 1, j - 1]
        if i > 0 and total[i - 1, j] < best:
            step, best = 1, total[i - 1, j]
        if j > 0 and total[i, j - 1] < best:
            step, best = 2, total[i, j - 1]
        if step == 0:
            i, j = i - 1, j - 1
        elif step == 1:
            i -= 1
        else:
            j -= 1
    return path[:k][::-1]


def dtw(*, cost: np.ndarray) -> tuple[float, np.ndarray]:
    """Minimum-cost monotonic path through ``cost`` (n, m) from (0, 0) to (n − 1, m − 1).

    Steps (1, 0), (0, 1) and (1, 1), each adding the cost of the cell it enters (Sakoe & Chiba 1978, the
    symmetric form without slope weights). Returns (total cost along the path, path as (K, 2) indices).
    """
    cost = np.ascontiguousarray(cost, dtype=np.float64)
    if cost.ndim != 2 or 0 in cost.shape:
        raise ValueError(f"DTW needs a non-empty (n, m) cost matrix, got shape {cost.shape}")
    total = _accumulate(cost)
    return float(total[-1, -1]), _backtrack(total)


def pairwise_euclidean(*, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(n, d) and (m, d) frames → (n, m) Euclidean distances."""
    from scipy.spatial.distance import cdist

    # cdist sums squared differences directly: equal frames give exactly 0, unlike |a|² + |b|² − 2ab.
    return cdist(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))
