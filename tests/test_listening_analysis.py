"""Analysis on synthetic vote sets whose answers are known."""

from pathlib import Path

import numpy as np
import pandas as pd

from evaluation.listening.analysis import analyze, bradley_terry, mos_table, preference_table
from evaluation.listening.report import write_report
from evaluation.listening.screening import screening


def votes(rng, strengths: dict[str, float], *, listeners=30, per_listener=30, tie_p=0.0, attribute="nat"):
    """Simulated A/B/tie answers: A beats B with probability s_A / (s_A + s_B) among decisive votes."""
    systems = list(strengths)
    rows = []
    for listener in range(listeners):
        for trial in range(per_listener):
            a, b = rng.choice(systems, size=2, replace=False)
            p_a = strengths[a] / (strengths[a] + strengths[b])
            value = "tie" if rng.random() < tie_p else ("A" if rng.random() < p_a else "B")
            rows.append(
                dict(
                    participant=f"p{listener}",
                    trial_id=listener * 1000 + trial,
                    kind="test",
                    item="i",
                    attribute=attribute,
                    value=value,
                    system_a=a,
                    system_b=b,
                    first_played="A",
                    decision_s=5.0,
                    min_listen_s=2.0,
                    expected=None,
                )
            )
    return pd.DataFrame(rows)


def test_a_70_30_preference_is_detected_and_a_50_50_one_is_not(rng):
    strong = votes(rng, {"good": 7, "bad": 3}, listeners=20, per_listener=10)
    even = votes(rng, {"x": 1, "y": 1}, listeners=20, per_listener=10, attribute="other")
    table = preference_table(answers=pd.concat([strong, even]))
    row = table[table["system_x"] == "bad"].iloc[0]  # pairs are named in sorted order: bad < good
    assert abs(row["x_of_decisive"] - 0.3) < 0.08 and row["ci_low"] < 0.3 < row["ci_high"]
    assert row["p_holm"] < 0.001 and row["significant"]
    other = table[table["system_x"] == "x"].iloc[0]
    assert not other["significant"] and other["p_holm"] >= other["p"]


def test_ties_are_shares_left_out_of_the_test_the_interval_and_bradley_terry_alike(rng):
    data = votes(rng, {"a": 1, "b": 1}, listeners=10, per_listener=20, tie_p=0.5)
    row = preference_table(answers=data).iloc[0]
    assert abs(row["share_tie"] - 0.5) < 0.1
    assert row["x"] + row["y"] + row["tie"] == row["n"] == 200
    assert np.isclose(row["share_x"] + row["share_y"] + row["share_tie"], 1)
    decisive = data[data["value"] != "tie"]
    same = preference_table(answers=decisive).iloc[0]
    for column in ("x_of_decisive", "ci_low", "ci_high", "p"):
        assert np.isclose(row[column], same[column])
    bt = bradley_terry(answers=data, resamples=50)
    assert np.allclose(bt["score"], bradley_terry(answers=decisive, resamples=50)["score"])
    assert np.allclose(
        bt[["ci_low", "ci_high"]], bradley_terry(answers=decisive, resamples=50)[["ci_low", "ci_high"]]
    )
    only_ties = bradley_terry(answers=data.assign(value="tie"), resamples=20)
    assert np.allclose(only_ties["score"], 0, atol=1e-6)  # no decisive vote: equal strengths, from the prior
    assert only_ties["ci_low"].isna().all() and only_ties["note"].str.contains("never wins").all()


def test_bradley_terry_and_the_preference_table_estimate_the_same_share(rng):
    data = votes(rng, {"a": 3, "b": 1}, listeners=12, per_listener=20, tie_p=0.3)
    share = preference_table(answers=data).iloc[0]["x_of_decisive"]  # a over b among decisive votes
    bt = bradley_terry(answers=data, resamples=20).set_index("system")["score"]
    assert abs(1 / (1 + np.exp(-(bt["a"] - bt["b"]))) - share) < 0.005  # only the tiny prior differs


def test_bradley_terry_recovers_the_order_of_simulated_strengths(rng):
    strengths = {"s1": 1.0, "s2": 2.0, "s3": 4.0, "s4": 8.0}
    bt = bradley_terry(answers=votes(rng, strengths, listeners=40, per_listener=30), resamples=100)
    assert list(bt.sort_values("score")["system"]) == ["s1", "s2", "s3", "s4"]
    assert list(bt.sort_values("rank")["system"]) == ["s4", "s3", "s2", "s1"]
    true = np.log(list(strengths.values()))
    assert np.allclose(bt["score"], true - true.mean(), atol=0.3)
    assert (bt["ci_low"] < bt["score"]).all() and (bt["score"] < bt["ci_high"]).all()


def test_mos_interval_and_p808_column_with_one_vote_per_listener(rng):
    rows = [
        dict(participant=f"p{i}", kind="test", attribute="nat", system_a=s, value=str(v), trial_id=i)
        for i in range(40)
        for s, v in (("hi", rng.choice([4, 5])), ("lo", rng.choice([1, 2])))
    ]
    table = mos_table(answers=pd.DataFrame(rows)).set_index("system")
    assert table.loc["hi", "ci_low"] > table.loc["lo", "ci_high"]
    assert table.loc["hi", "n"] == 40
    assert np.isclose(table.loc["hi", "ci95_p808"], 1.96 * table.loc["hi", "sd"] / np.sqrt(40))


def test_screening_flags_failed_catches_straight_lining_and_fast_decisions_and_reports_both(rng, tmp_path):
    data = votes(rng, {"a": 3, "b": 1}, listeners=6, per_listener=10)
    catch = dict(kind="catch", item="i", attribute="nat", system_a="a", system_b="a", first_played="A",
                 decision_s=5.0, min_listen_s=2.0, expected="tie")  # fmt: skip
    extra = [dict(catch, participant="p0", trial_id=9000 + k, value="A") for k in range(3)]
    extra += [dict(catch, participant="p1", trial_id=9100, value="tie")]
    data = pd.concat([data, pd.DataFrame(extra)], ignore_index=True)
    data.loc[data["participant"] == "p2", "value"] = "A"
    data.loc[data["participant"] == "p3", "decision_s"] = 0.5
    screen = screening(answers=data, rules={"max_failed_catch": 1}).set_index("participant")
    assert screen.loc["p0", "failed_catch"] == 3 and "failed catch" in screen.loc["p0", "reasons"]
    assert screen.loc["p1", "failed_catch"] == 0 and not screen.loc["p1", "screened_out"]
    assert screen.loc["p2", "straight_lining"] and screen.loc["p2", "screened_out"]
    assert "faster than the clips" in screen.loc["p3", "reasons"]
    result = analyze(answers=data, study_type="preference", rules={"max_failed_catch": 1}, resamples=20)
    assert result.all["preference"]["n"].sum() == 60 and result.kept["preference"]["n"].sum() == 30
    report = write_report(analysis=result, out_dir=str(tmp_path), title="T", study_hash="h")
    text = Path(report).read_text()
    assert "Screened listeners removed" in text and "![bradley-terry](bradley_terry_kept.png)" in text
    assert (tmp_path / "preference_all.png").stat().st_size > 1000


def test_straight_lining_counts_trials_not_answer_rows(rng):
    data = votes(rng, {"a": 1, "b": 1}, listeners=1, per_listener=4).assign(value="A")  # four trials
    one_trial = pd.concat([data.iloc[:1].assign(attribute=a) for a in ("w", "x", "y", "z")])  # four rows
    answers = pd.concat([data, one_trial.assign(participant="solo")])
    screen = screening(answers=answers, rules={}).set_index("participant")
    assert screen.loc["p0", "straight_lining"] and not screen.loc["solo", "straight_lining"]
