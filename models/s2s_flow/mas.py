"""Monotonic alignment search (Glow-TTS) in vectorized NumPy, with unit skipping for singing → speech.

Glow-TTS aligns U text units to T mel frames by dynamic programming over ``logp[u, t]`` (the
log-likelihood of frame t under unit u's prior): every frame belongs to one unit, the unit index
never decreases, and every unit gets at least one frame, so a path exists only when U ≤ T.

Our modification: a unit may also be *skipped* (given zero frames), at a cost of ``skip_penalty`` nats
per skipped unit. The singing side's units are phone segments of a posteriorgram, and there can be
more of them than the speech has frames (a short speech crop, an over-segmented posteriorgram), where
the plain search has no path at all. With skipping every frame still gets exactly one unit and the path
stays monotonic; the penalty keeps the plain search's answer whenever skipping does not pay more than
it costs (``skip_penalty=inf`` is exactly Glow-TTS's search, defined only for U ≤ T).

Score of a path a_0 ≤ a_1 ≤ … ≤ a_{T−1}: Σ_t logp[a_t, t] − skip_penalty · #(units with no frame).
Recursion over frames (vectorized over batch and units):
    Q[u, 0] = logp[u, 0] − p·u
    Q[u, t] = logp[u, t] + max(Q[u, t−1], Q[u−1, t−1], max_{v ≤ u−2} Q[v, t−1] − p·(u − v − 1))
and the path ends at argmax_u Q[u, T−1] − p·(U − 1 − u). The inner max over v is a running maximum of
Q[v, t−1] + p·v, so each frame costs O(U).
"""

from __future__ import annotations

import numpy as np

DEFAULT_SKIP_PENALTY = 10.0


def maximum_path(
    logp: np.ndarray,
    *,
    skip_penalty: float = DEFAULT_SKIP_PENALTY,
    unit_lengths: np.ndarray | None = None,
    frame_lengths: np.ndarray | None = None,
) -> np.ndarray:
    """Best monotonic alignment of units to frames.

    Args:
        logp: (B, U, T) or (U, T) log-likelihood of each frame under each unit.
        skip_penalty: nats charged per unit given no frame; ``np.inf`` for the plain Glow-TTS search.
        unit_lengths / frame_lengths: (B,) valid units / frames per item (default: all).

    Returns:
        (B, U, T) or (U, T) float32 hard alignment: exactly one 1 per valid frame column, monotonic.
    """
    single = logp.ndim == 2
    logp = np.asarray(logp, dtype=np.float64)
    if single:
        logp = logp[None]
    b, n_units, n_frames = logp.shape
    units = np.full(b, n_units) if unit_lengths is None else np.asarray(unit_lengths)
    frames = np.full(b, n_frames) if frame_lengths is None else np.asarray(frame_lengths)
    plain = not np.isfinite(skip_penalty)
    if plain and np.any(units > frames):
        raise ValueError("the plain search needs at least as many frames as units; use a finite skip_penalty")
    p = 0.0 if plain else float(skip_penalty)
    u_index = np.arange(n_units)
    invalid_unit = u_index[None, :] >= units[:, None]  # (B, U)
    q = np.full((b, n_units, n_frames), -np.inf)
    first = logp[:, :, 0] - p * u_index
    if plain:
        first = np.where(u_index == 0, logp[:, :, 0], -np.inf)
    q[:, :, 0] = np.where(invalid_unit, -np.inf, first)
    for t in range(1, n_frames):
        prev = q[:, :, t - 1]
        best = prev.copy()
        best[:, 1:] = np.maximum(best[:, 1:], prev[:, :-1])
        if not plain and n_units > 2:
            # max over v ≤ u − 2 of prev[v] + p·v, then − p·(u − 1)
            running = np.maximum.accumulate(prev + p * u_index, axis=1)
            best[:, 2:] = np.maximum(best[:, 2:], running[:, :-2] - p * (u_index[2:] - 1))
        q[:, :, t] = np.where(invalid_unit, -np.inf, best + logp[:, :, t])
    return _backtrack(q, units, frames, p, plain, single)


def _backtrack(q, units, frames, p, plain, single) -> np.ndarray:
    b, n_units, _ = q.shape
    path = np.zeros(q.shape, dtype=np.float32)
    u_index = np.arange(n_units)
    for item in range(b):
        n_u, n_t = int(units[item]), int(frames[item])
        if n_t == 0:
            continue
        end = q[item, :n_u, n_t - 1]
        u = n_u - 1 if plain else int(np.argmax(end - p * (n_u - 1 - u_index[:n_u])))
        path[item, u, n_t - 1] = 1
        for t in range(n_t - 1, 0, -1):
            prev = q[item, :n_u, t - 1]
            # candidates: stay (u), previous unit (u−1), or a skip from v ≤ u−2 (cost p per skipped unit)
            candidates = np.full(n_u, -np.inf)
            candidates[u] = prev[u]
            if u >= 1:
                candidates[u - 1] = prev[u - 1]
            if not plain and u >= 2:
                candidates[: u - 1] = prev[: u - 1] - p * (u - 1 - u_index[: u - 1])
            u = int(np.argmax(candidates))
            path[item, u, t - 1] = 1
    return path[0] if single else path


def durations(path: np.ndarray) -> np.ndarray:
    """Frames per unit of a hard alignment: (…, U, T) → (…, U); skipped units get 0."""
    return path.sum(axis=-1)
