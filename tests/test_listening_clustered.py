"""Listener-clustered intervals and tests: listeners who differ must not make the analysis over-confident."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evaluation.listening import analysis, coverage
from evaluation.listening.analysis import (
    bradley_terry,
    mos_differences,
    mos_table,
    position_bias,
    preference_table,
)


def _binomial_p(hits, totals) -> np.ndarray:
    """The per-vote exact binomial test these tables used before (every vote independent)."""
    return np.array([stats.binomtest(int(h), int(n)).pvalue for h, n in zip(hits, totals, strict=True)])


def test_listeners_who_differ_in_taste_and_position_bias_no_longer_make_false_alarms():
    null = coverage.Preference("null", (0, 0, 0, 0), taste_sd=1.5, bias_sd=1.0)
    plan = coverage.design(kind="preference", listeners=10, trials=24, catch_rate=0.25)
    rng = np.random.default_rng(3)
    new, old, new_fwer, old_fwer, pos_new, pos_old = [], [], [], [], [], []
    for _ in range(30):
        answers = coverage.simulate_preference(rng, plan, null)
        table = preference_table(answers=answers)
        p_old = _binomial_p(table["x"], table["x"] + table["y"])
        new += list(table["p"] < 0.05)
        old += list(p_old < 0.05)
        new_fwer.append(table["significant"].any())
        old_fwer.append((analysis._holm(p_old) < 0.05).any())
        bias = position_bias(answers=answers)
        pos_new += list(bias["p"] < 0.05)
        pos_old += list(_binomial_p(np.round(bias["share_first"] * bias["n"]), bias["n"]) < 0.05)
    # 12 pairs × 30 studies, every null true; 5 % nominal
    assert np.mean(old) > 0.09 and np.mean(new) < 0.06  # measured 12.2 % and 3.6 %
    assert np.mean(old_fwer) > 0.2 and np.mean(new_fwer) <= 0.1  # Holm family-wise: 33 % and 3 %
    assert np.mean(pos_old) > 0.15 and np.mean(pos_new) < 0.5 * np.mean(pos_old)  # 23 % and 8 % of 60


def test_sign_flip_p_is_exact_and_cannot_be_significant_with_four_listeners():
    assert analysis._sign_flip_p(np.array([3.0, 1.0, 2.0, 5.0])) == pytest.approx(2 / 16)
    assert analysis._sign_flip_p(np.array([1.0, 1.0, 1.0, 1.0, 1.0, 1.0])) == pytest.approx(2 / 64)
    assert analysis._sign_flip_p(np.array([2.0, -2.0, 1.0, -1.0])) == 1.0
    assert np.isnan(analysis._sign_flip_p(np.array([4.0])))
    holm = analysis._holm(np.array([0.01, np.nan, 0.04]))
    assert np.isnan(holm[1]) and np.allclose(holm[[0, 2]], [0.02, 0.04])


def _pair_votes(per_listener: list[tuple[int, int]]) -> pd.DataFrame:
    rows = []
    for listener, (wins, losses) in enumerate(per_listener):
        for k, value in enumerate(["A"] * wins + ["B"] * losses):
            rows.append(dict(participant=f"p{listener}", trial_id=100 * listener + k, kind="test", attribute="q",
                             value=value, system_a="x", system_b="y", first_played="A"))  # fmt: skip
    return pd.DataFrame(rows)


def test_preference_interval_is_clustered_and_never_zero_width():
    # two camps of listeners: the per-vote interval would treat 80 votes as independent
    camps = preference_table(answers=_pair_votes([(8, 0)] * 5 + [(0, 8)] * 5)).iloc[0]
    per_vote = stats.binomtest(40, 80).proportion_ci(method="exact")
    assert camps["x_of_decisive"] == 0.5 and camps["listeners"] == 10
    assert camps["ci_high"] - camps["ci_low"] > 2 * (per_vote.high - per_vote.low)
    assert camps["p"] == 1.0
    for listeners in ([(2, 2)] * 6, [(3, 0)] * 6):  # no spread between listeners, or all for one side
        row = preference_table(answers=_pair_votes(listeners)).iloc[0]
        assert (
            row["ci_high"] - row["ci_low"] > 0.1 and row["ci_low"] <= row["x_of_decisive"] <= row["ci_high"]
        )
    one = preference_table(answers=_pair_votes([(5, 1)])).iloc[0]
    assert np.isnan(one["ci_low"]) and np.isnan(one["p"]) and not one["significant"]


def test_bradley_terry_refuses_an_interval_below_the_minimum_and_gives_one_at_it(rng):
    strengths = {"s1": 1.0, "s2": 2.0, "s3": 4.0}
    systems = list(strengths)
    rows = []
    for listener in range(analysis.BT_MIN_LISTENERS):
        for trial in range(30):
            a, b = rng.choice(systems, size=2, replace=False)
            value = "A" if rng.random() < strengths[a] / (strengths[a] + strengths[b]) else "B"
            rows.append(dict(participant=f"p{listener}", trial_id=100 * listener + trial, kind="test",
                             attribute="q", value=value, system_a=a, system_b=b))  # fmt: skip
    answers = pd.DataFrame(rows)
    for listeners in range(1, analysis.BT_MIN_LISTENERS):
        few = bradley_terry(answers=answers[answers["participant"].isin([f"p{i}" for i in range(listeners)])])
        assert few["ci_low"].isna().all() and few["ci_rank"].isna().all()
        assert few["note"].str.contains(f"fewer than {analysis.BT_MIN_LISTENERS}").all()
        assert sorted(few["rank"]) == [1, 2, 3]  # the point ranking is still given
    enough = bradley_terry(answers=answers)
    assert (enough["ci_high"] - enough["ci_low"] > 0.2).all() and (enough["note"] == "").all()


def _ratings(leniency: list[float], *, systems=("hi", "lo"), votes=3) -> pd.DataFrame:
    rows = []
    for listener, offset in enumerate(leniency):
        for index, (s, base) in enumerate(zip(systems, (4.0, 2.5), strict=True)):
            for k in range(votes):
                value = int(np.clip(round(base + offset + 0.4 * ((k % 3) - 1)), 1, 5))
                rows.append(dict(participant=f"p{listener}", trial_id=1000 * listener + 10 * k + index,
                                 kind="test", attribute="q", system_a=s, value=str(value)))  # fmt: skip
    return pd.DataFrame(rows)


def test_mos_interval_is_the_t_interval_of_per_listener_means():
    answers = _ratings([-1.0, -0.5, 0.0, 0.3, 1.0, -0.2])
    table = mos_table(answers=answers).set_index("system")
    means = answers.assign(v=answers["value"].astype(float)).groupby(["system_a", "participant"])["v"].mean()
    for system in ("hi", "lo"):
        m = means[system].to_numpy()
        low, high = stats.t.interval(0.95, len(m) - 1, loc=m.mean(), scale=stats.sem(m))
        assert np.isclose(table.loc[system, "ci_low"], low) and np.isclose(table.loc[system, "ci_high"], high)
        votes = table.loc[system, "n"]
        per_vote = stats.t.ppf(0.975, votes - 1) * table.loc[system, "sd"] / np.sqrt(votes)
        assert table.loc[system, "ci_high"] - table.loc[system, "mean"] > 1.5 * per_vote  # leniency widens it


def test_mos_difference_pairs_each_listeners_ratings():
    # lenient and strict listeners: both systems move together, so the paired difference is precise
    diff = mos_differences(answers=_ratings([-1.0, -0.5, 0.0, 0.3, 1.0, -0.2])).iloc[0]
    assert (diff["system_x"], diff["system_y"]) == ("hi", "lo") and diff["listeners"] == 6
    assert diff["ci_low"] > 1.0 and diff["significant"]
    table = mos_table(answers=_ratings([-1.0, -0.5, 0.0, 0.3, 1.0, -0.2])).set_index("system")
    assert np.isclose(diff["diff"], table.loc["hi", "mean"] - table.loc["lo", "mean"])
    assert diff["ci_high"] - diff["ci_low"] < table.loc["hi", "ci_high"] - table.loc["hi", "ci_low"]


def test_coverage_script_writes_its_table(tmp_path):
    out = tmp_path / "coverage.md"
    coverage.main(["--reps", "2", "--listeners", "4", "--resamples", "20", "--out", str(out)])
    text = out.read_text()
    assert "--reps 2" in text and "| 4 listeners |" in text
    for what in (
        "preference share",
        "family-wise error",
        "Bradley–Terry score",
        "position bias",
        "MOS per system",
    ):
        assert what in text
