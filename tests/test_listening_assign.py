"""Balance and counterbalancing of the trial lists over 1,000 simulated listeners."""

from collections import Counter

import pytest

from evaluation.listening.assign import plan_listener

ITEMS = [f"i{k}" for k in range(5)]
SYSTEMS = ["s1", "s2", "s3", "s4"]


@pytest.mark.parametrize("trials", [7, 12, 30])
def test_preference_conditions_are_balanced_and_positions_counterbalanced(trials):
    cells, orient, pair_orient = Counter(), Counter(), Counter()
    for seq in range(1000):
        plan = plan_listener(
            kind="preference", items=ITEMS, systems=SYSTEMS, seed=3, seq=seq, trials=trials, catch_rate=0.2
        )
        assert plan[0].kind == "practice"
        tests = [t for t in plan if t.kind == "test"]
        assert len(tests) == trials
        assert sum(t.kind == "catch" for t in plan) == round(trials * 0.2)
        assert all(t.system_a == t.system_b and t.expected == "tie" for t in plan if t.kind == "catch")
        conditions = [(t.item, frozenset((t.system_a, t.system_b))) for t in tests]
        assert len(set(conditions)) == len(conditions)  # never the same condition twice
        for t in tests:
            pair = frozenset((t.system_a, t.system_b))
            cells[(t.item, pair)] += 1
            orient[(t.item, t.system_a, t.system_b)] += 1
            pair_orient[(t.system_a, t.system_b)] += 1
    assert len(cells) == len(ITEMS) * 6
    assert max(cells.values()) - min(cells.values()) <= 1
    for item, pair in cells:
        a, b = sorted(pair)
        assert abs(orient[(item, a, b)] - orient[(item, b, a)]) <= 1
    for a, b in {tuple(sorted(k)) for k in pair_orient}:
        assert abs(pair_orient[(a, b)] - pair_orient[(b, a)]) <= 1
    total = 1000 * trials
    if total % (2 * len(cells)) == 0:  # whole cycles: exact
        assert all(orient[(i, a, b)] == orient[(i, b, a)] for i, a, b in orient)


def test_order_differs_between_listeners_and_mos_uses_anchor_catches():
    plans = [
        plan_listener(kind="mos", items=ITEMS, systems=SYSTEMS, seed=1, seq=s, trials=10, catch_rate=0.1)
        for s in range(200)
    ]
    cells = Counter((t.item, t.system_a) for p in plans for t in p if t.kind == "test")
    assert len(cells) == 20 and max(cells.values()) - min(cells.values()) <= 1
    assert all(t.system_a == "_anchor" and t.expected == "low" for p in plans for t in p if t.kind == "catch")
    orders = {tuple((t.item, t.system_a) for t in p[1:]) for p in plans[:40:2]}
    assert len(orders) == 20
