"""Balanced trial lists: every listener takes the next stretch of one fixed cycle of conditions.

Preference: the cycle has ``2M`` slots for ``M = items × pairs``. Each pair's items are listed in a
seeded order with the A/B orientation alternating along the list; the pairs' lists are interleaved
round-robin (first half), then repeated with every orientation flipped (second half). Listener ``n``
takes slots ``n·T … n·T+T−1`` (mod ``2M``). Over any number of listeners each (item, pair) is
therefore shown equally often ±1, its two orientations differ by at most one (none after a whole
cycle), and each pair's orientations summed over items differ by at most one. ``T ≤ M`` keeps a
listener from hearing one condition twice. MOS uses the same idea with (item, system) cells.
The order a listener hears is shuffled per listener; catch trials are mixed in after the first trial.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ANCHOR = "_anchor"  # the degraded MOS anchor's system name


@dataclass(frozen=True)
class Planned:
    kind: str  # "practice" | "test" | "catch"
    item: str
    system_a: str
    system_b: str | None  # None for MOS
    expected: str | None = None  # catch trials: "tie" (preference) or "low" (MOS anchor)


def cycle(*, kind: str, items: list[str], systems: list[str], seed: int) -> list[Planned]:
    """The study's fixed condition cycle (deterministic from the seed)."""
    rng = np.random.default_rng([seed, 1])
    order = [items[i] for i in rng.permutation(len(items))]
    if kind == "mos":
        lists = [[Planned("test", it, s, None) for it in order] for s in systems]
        return [lst[k] for k in range(len(order)) for lst in lists]
    pairs = [(systems[i], systems[j]) for i in range(len(systems)) for j in range(i + 1, len(systems))]
    lists = []
    for p, (a, b) in enumerate(pairs):
        own = [order[i] for i in rng.permutation(len(order))]
        lists.append(
            [Planned("test", it, *((a, b) if (k + p) % 2 == 0 else (b, a))) for k, it in enumerate(own)]
        )
    lists = [lists[i] for i in rng.permutation(len(lists))]
    first = [lst[k] for k in range(len(order)) for lst in lists]
    flipped = [Planned("test", t.item, t.system_b, t.system_a) for t in first]
    return first + flipped


def plan_listener(
    *, kind: str, items: list[str], systems: list[str], seed: int, seq: int, trials: int, catch_rate: float
) -> list[Planned]:
    """Listener ``seq``'s trials in presentation order: one practice trial, then tests with catches mixed in."""
    full = cycle(kind=kind, items=items, systems=systems, seed=seed)
    start = seq * trials
    tests = [full[(start + k) % len(full)] for k in range(trials)]
    rng = np.random.default_rng([seed, 2, seq])
    tests = [tests[i] for i in rng.permutation(len(tests))]
    practice = full[int(rng.integers(len(full)))]
    out = [Planned("practice", practice.item, practice.system_a, practice.system_b)]
    n_catch = int(round(trials * catch_rate))
    for _ in range(n_catch):
        item = items[int(rng.integers(len(items)))]
        if kind == "mos":
            catch = Planned("catch", item, ANCHOR, None, "low")
        else:
            system = systems[int(rng.integers(len(systems)))]
            catch = Planned("catch", item, system, system, "tie")
        tests.insert(int(rng.integers(1, len(tests) + 1)), catch)
    return out + tests
