"""Statistics of a study's answers (pandas, scipy).

Input is the tidy answer table of :func:`evaluation.listening.export.answers_frame`, one row per
(trial, attribute): participant, kind (practice/test/catch), item, attribute, value (A/B/tie or 1–5),
system_a, system_b (what was shown in positions A and B), first_played (A/B), decision_s (answer time
minus first play) and min_listen_s (the trial's clips' durations summed: the least time in which a
listener hears A and then B to the end).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats


def _holm(p: np.ndarray) -> np.ndarray:
    """Holm–Bonferroni adjusted p-values (monotone, capped at 1)."""
    p = np.asarray(p, dtype=float)
    order = np.argsort(p)
    adjusted = np.empty_like(p)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, (len(p) - rank) * p[i])
        adjusted[i] = min(1.0, running)
    return adjusted


def preference_table(*, answers: pd.DataFrame) -> pd.DataFrame:
    """Per attribute and system pair (x < y by name): counts and shares of x, y and tie; the exact
    binomial test of x against y on decisive votes, its Clopper–Pearson 95 % interval, Holm-adjusted p.
    """
    rows = []
    tests = answers[answers["kind"] == "test"]
    for attribute, group in tests.groupby("attribute", sort=True):
        winner = np.where(
            group["value"] == "A", group["system_a"], np.where(group["value"] == "B", group["system_b"], "")
        )
        pair = [tuple(sorted(p)) for p in zip(group["system_a"], group["system_b"], strict=True)]
        frame = pd.DataFrame({"pair": pair, "winner": winner})
        for (x, y), votes in frame.groupby("pair", sort=True):
            n_x, n_y = int((votes["winner"] == x).sum()), int((votes["winner"] == y).sum())
            n = len(votes)
            decisive = n_x + n_y
            if decisive:
                test = stats.binomtest(n_x, decisive, 0.5)
                ci = test.proportion_ci(confidence_level=0.95, method="exact")
                p, low, high = test.pvalue, ci.low, ci.high
            else:
                p, low, high = 1.0, 0.0, 1.0
            rows.append(
                {
                    "attribute": attribute,
                    "system_x": x,
                    "system_y": y,
                    "n": n,
                    "x": n_x,
                    "y": n_y,
                    "tie": n - decisive,
                    "share_x": n_x / n,
                    "share_y": n_y / n,
                    "share_tie": (n - decisive) / n,
                    "x_of_decisive": n_x / decisive if decisive else np.nan,
                    "ci_low": low,
                    "ci_high": high,
                    "p": p,
                }
            )
    table = pd.DataFrame(rows)
    if len(table):
        table["p_holm"] = _holm(table["p"].to_numpy())
        table["significant"] = table["p_holm"] < 0.05
    return table


def _bt_scores(wins: np.ndarray, iterations: int = 200) -> np.ndarray:
    """Bradley–Terry strengths by the MM algorithm; wins[i, j] counts i over j (ties add ½ to both).

    A tiny symmetric prior (½ win each way) keeps systems that never win or never lose finite.
    Returns log-strengths centred on 0.
    """
    k = len(wins)
    w = wins + 0.5 * (1 - np.eye(k)) / max(k - 1, 1)
    games = w + w.T
    p = np.ones(k)
    for _ in range(iterations):
        denom = (games / (p[:, None] + p[None, :])).sum(axis=1)
        p_new = w.sum(axis=1) / np.maximum(denom, 1e-12)
        p_new /= np.exp(np.mean(np.log(p_new)))
        if np.max(np.abs(p_new - p)) < 1e-9:
            p = p_new
            break
        p = p_new
    log_p = np.log(p)
    return log_p - log_p.mean()


def _win_matrix(votes: pd.DataFrame, systems: list[str]) -> np.ndarray:
    index = {s: i for i, s in enumerate(systems)}
    wins = np.zeros((len(systems), len(systems)))
    a = votes["system_a"].map(index).to_numpy()
    b = votes["system_b"].map(index).to_numpy()
    value = votes["value"].to_numpy()
    np.add.at(wins, (a[value == "A"], b[value == "A"]), 1.0)
    np.add.at(wins, (b[value == "B"], a[value == "B"]), 1.0)
    ties = value == "tie"
    np.add.at(wins, (a[ties], b[ties]), 0.5)
    np.add.at(wins, (b[ties], a[ties]), 0.5)
    return wins


def bradley_terry(*, answers: pd.DataFrame, resamples: int = 300, seed: int = 0) -> pd.DataFrame:
    """Per attribute and system: Bradley–Terry log-strength (ties count half), a listener-clustered
    bootstrap 95 % interval, the rank by score and the interval rank (1 + systems whose lower bound
    lies above this system's upper bound)."""
    tests = answers[(answers["kind"] == "test") & answers["system_b"].notna()]
    rows = []
    rng = np.random.default_rng(seed)
    for attribute, votes in tests.groupby("attribute", sort=True):
        systems = sorted(set(votes["system_a"]) | set(votes["system_b"]))
        by_listener = {p: _win_matrix(v, systems) for p, v in votes.groupby("participant")}
        mats = np.stack(list(by_listener.values()))
        score = _bt_scores(mats.sum(axis=0))
        boot = np.stack(
            [_bt_scores(mats[rng.integers(len(mats), size=len(mats))].sum(axis=0)) for _ in range(resamples)]
        )
        low, high = np.percentile(boot, [2.5, 97.5], axis=0)
        order = (-score).argsort().argsort() + 1
        for i, system in enumerate(systems):
            rows.append(
                {
                    "attribute": attribute,
                    "system": system,
                    "score": score[i],
                    "ci_low": low[i],
                    "ci_high": high[i],
                    "rank": int(order[i]),
                    "ci_rank": int(1 + np.sum(low > high[i])),
                }
            )
    return pd.DataFrame(rows)


def mos_table(*, answers: pd.DataFrame) -> pd.DataFrame:
    """Per attribute and system: votes, listeners, mean, SD, 95 % t-interval and P.808's 1.96σ/√n."""
    tests = answers[answers["kind"] == "test"].copy()
    tests["score"] = pd.to_numeric(tests["value"], errors="coerce")
    rows = []
    for (attribute, system), group in tests.groupby(["attribute", "system_a"], sort=True):
        scores = group["score"].dropna().to_numpy()
        n = len(scores)
        mean, sd = float(np.mean(scores)), float(np.std(scores, ddof=1)) if n > 1 else 0.0
        half = stats.t.ppf(0.975, n - 1) * sd / np.sqrt(n) if n > 1 else np.nan
        rows.append(
            {
                "attribute": attribute,
                "system": system,
                "n": n,
                "listeners": group["participant"].nunique(),
                "mean": mean,
                "sd": sd,
                "ci_low": mean - half,
                "ci_high": mean + half,
                "ci95_p808": 1.96 * sd / np.sqrt(n) if n else np.nan,
            }
        )
    return pd.DataFrame(rows)


def position_bias(*, answers: pd.DataFrame) -> pd.DataFrame:
    """Per attribute: share of decisive votes for the clip played first, with its binomial p against ½."""
    rows = []
    votes = answers[answers["kind"].isin(["test", "catch"]) & answers["value"].isin(["A", "B"])]
    votes = votes[votes["first_played"].isin(["A", "B"])]
    for attribute, group in votes.groupby("attribute", sort=True):
        first = int((group["value"] == group["first_played"]).sum())
        n = len(group)
        rows.append(
            {"attribute": attribute, "n": n, "share_first": first / n, "p": stats.binomtest(first, n).pvalue}
        )
    return pd.DataFrame(rows)


def screening(*, answers: pd.DataFrame, rules: dict) -> pd.DataFrame:
    """Per listener: failed catch trials, one answer everywhere (over at least four test trials),
    decisions faster than the clips; and whether the listener is screened out by the study's rules
    (reported, never deleted).

    "Faster than the clips" compares the decision time (answer minus first play) with
    ``min_listen_ratio × min_listen_s``, the clips' durations summed: the server already refuses an
    answer before the longer clip could have ended, so only a listener who played A and B at the same
    time (or skipped through them) can decide sooner than hearing one after the other takes."""
    rows = []
    for participant, group in answers.groupby("participant", sort=True):
        catches = group[group["kind"] == "catch"].drop_duplicates("trial_id")
        catch_rows = group[group["kind"] == "catch"]
        failed_trials = set()
        for _, row in catch_rows.iterrows():
            wrong = row["value"] != "tie" if row["expected"] == "tie" else _score(row["value"]) > 2
            if wrong:
                failed_trials.add(row["trial_id"])
        tests = group[group["kind"] == "test"]
        straight = tests["value"].nunique() == 1 and tests["trial_id"].nunique() >= 4
        per_trial = group[group["kind"] != "practice"].drop_duplicates("trial_id")
        ratio = float(rules.get("min_listen_ratio", 1.0))
        fast = int((per_trial["decision_s"] < ratio * per_trial["min_listen_s"] - 1e-6).sum())
        reasons = []
        if len(failed_trials) > int(rules.get("max_failed_catch", 1)):
            reasons.append("failed catch trials")
        if straight and rules.get("flag_straight_lining", True):
            reasons.append("same answer everywhere")
        if fast > 0.2 * max(len(per_trial), 1):
            reasons.append("decisions faster than the clips")
        rows.append(
            {
                "participant": participant,
                "trials": len(per_trial),
                "catch_trials": len(catches),
                "failed_catch": len(failed_trials),
                "straight_lining": straight,
                "fast_decisions": fast,
                "screened_out": bool(reasons),
                "reasons": ", ".join(reasons),
            }
        )
    return pd.DataFrame(rows)


def _score(value: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return np.nan


@dataclass
class Analysis:
    """Every table, for all listeners and for the listeners kept after screening."""

    study_type: str
    screening: pd.DataFrame
    all: dict[str, pd.DataFrame] = field(default_factory=dict)
    kept: dict[str, pd.DataFrame] = field(default_factory=dict)


def analyze(*, answers: pd.DataFrame, study_type: str, rules: dict, resamples: int = 300) -> Analysis:
    """Run the tables for the study's type on all listeners and on those not screened out."""
    screen = screening(answers=answers, rules=rules) if len(answers) else pd.DataFrame()
    out = Analysis(study_type=study_type, screening=screen)
    dropped = set(screen.loc[screen["screened_out"], "participant"]) if len(screen) else set()
    for label, subset in (("all", answers), ("kept", answers[~answers["participant"].isin(dropped)])):
        tables: dict[str, pd.DataFrame] = {}
        if len(subset):
            if study_type == "preference":
                tables["preference"] = preference_table(answers=subset)
                tables["bradley_terry"] = bradley_terry(answers=subset, resamples=resamples)
                tables["position_bias"] = position_bias(answers=subset)
            else:
                tables["mos"] = mos_table(answers=subset)
        getattr(out, label).update(tables)
    return out
