"""Coverage of the listening-test intervals and error rates of its tests, on simulated listeners.

    python -m evaluation.listening.coverage [--reps 200] [--listeners 4 10 30] [--out FILE]

Listeners answer the project's own balanced trial lists (:func:`evaluation.listening.assign.plan_listener`)
and differ in taste (a per-listener, per-system logit offset, or for MOS a per-listener, per-system
offset), in leniency (MOS), in position bias (a logit offset toward the clip played first) and in how
often they answer "tie". The truth each interval should cover is computed from the simulation's
parameters and the design (Gauss–Hermite for the logistic-normal averages, normal probabilities for
rounded and clipped ratings). Every replication runs the public functions of
:mod:`evaluation.listening.analysis`; the per-vote methods they replaced are run alongside for comparison.
Seeded: the same command prints the same table.
"""

from __future__ import annotations

import argparse
import datetime
import sys
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from evaluation.listening import analysis
from evaluation.listening.assign import plan_listener

SYSTEMS = ["s1", "s2", "s3", "s4"]
ITEMS = [f"i{k}" for k in range(8)]
ATTRIBUTES = ["naturalness", "similarity"]
_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(80)


def _logistic_normal(mean: np.ndarray, var: float) -> np.ndarray:
    """E[σ(m + e)] for e ~ N(0, var)."""
    mean = np.asarray(mean, dtype=float)[..., None]
    return (_WEIGHTS * (1 / (1 + np.exp(-(mean + np.sqrt(var) * _NODES))))).sum(-1) / _WEIGHTS.sum()


@dataclass(frozen=True)
class Preference:
    name: str
    theta: tuple[float, ...]  # true log-strengths of SYSTEMS
    taste_sd: float  # per listener, system and attribute (logit)
    bias_sd: float  # per listener, toward the clip played first (logit)
    bias_mean: float = 0.0
    tie_beta: tuple[float, float] = (2.0, 8.0)  # per listener and attribute: tie probability (mean 0.2)
    catch_tie: float = 0.8  # catch trials (the same clip twice) are ties this often


@dataclass(frozen=True)
class Mos:
    name: str
    mu: tuple[float, ...]  # latent means of SYSTEMS
    leniency_sd: float
    taste_sd: float  # per listener and system
    noise_sd: float = 0.8


PREFERENCE = [
    Preference(
        "null: equal systems, listeners differ (taste SD 1.0, position SD 0.6)", (0, 0, 0, 0), 1.0, 0.6
    ),
    Preference(
        "effects θ=0,.4,.8,1.2, listeners differ (taste SD 0.5, position 0.3 ± 0.6)",
        (0, 0.4, 0.8, 1.2),
        0.5,
        0.6,
        0.3,
    ),
    Preference(
        "effects θ=0,.4,.8,1.2, listeners alike (no taste, no position bias)", (0, 0.4, 0.8, 1.2), 0, 0
    ),
]
MOS = [
    Mos("null: equal systems, leniency SD 0.5, taste SD 0.3", (3.2, 3.2, 3.2, 3.2), 0.5, 0.3),
    Mos("effects μ=2.6…3.8, leniency SD 0.5, taste SD 0.3", (2.6, 3.0, 3.4, 3.8), 0.5, 0.3),
    Mos("effects μ=2.6…3.8, listeners alike", (2.6, 3.0, 3.4, 3.8), 0.0, 0.0),
]


def design(*, kind: str, listeners: int, trials: int, catch_rate: float) -> pd.DataFrame:
    """The planned (non-practice) trials of ``listeners`` listeners, one row each."""
    rows = []
    for seq in range(listeners):
        plan = plan_listener(
            kind=kind, items=ITEMS, systems=SYSTEMS, seed=7, seq=seq, trials=trials, catch_rate=catch_rate
        )
        rows += [
            {
                "participant": f"L{seq:04d}",
                "trial_id": seq * 100 + k,
                "kind": t.kind,
                "item": t.item,
                "system_a": t.system_a,
                "system_b": t.system_b,
            }
            for k, t in enumerate(plan)
            if t.kind != "practice"
        ]
    return pd.DataFrame(rows)


def simulate_preference(rng: np.random.Generator, plan: pd.DataFrame, s: Preference) -> pd.DataFrame:
    """One answer row per (trial, attribute) of ``plan``."""
    n_listeners, k = plan["participant"].nunique(), len(SYSTEMS)
    listener = pd.factorize(plan["participant"], sort=True)[0]
    a = plan["system_a"].map(SYSTEMS.index).to_numpy()
    b = plan["system_b"].map(SYSTEMS.index).to_numpy()
    catch = (plan["kind"] == "catch").to_numpy()
    first_a = rng.random(len(plan)) < 0.5
    bias = rng.normal(s.bias_mean, s.bias_sd, n_listeners)[listener] * np.where(first_a, 1, -1)
    theta = np.asarray(s.theta)
    frames = []
    for attribute in ATTRIBUTES:
        taste = rng.normal(0, s.taste_sd, (n_listeners, k))
        logit = theta[a] - theta[b] + taste[listener, a] - taste[listener, b] + bias
        tie_p = np.where(catch, s.catch_tie, rng.beta(*s.tie_beta, n_listeners)[listener])
        value = np.where(rng.random(len(plan)) < 1 / (1 + np.exp(-logit)), "A", "B")
        value = np.where(rng.random(len(plan)) < tie_p, "tie", value)
        frames.append(plan.assign(attribute=attribute, value=value, first_played=np.where(first_a, "A", "B")))
    return pd.concat(frames, ignore_index=True)


def preference_truth(plan: pd.DataFrame, s: Preference) -> dict:
    """Population values of every quantity the preference analysis estimates, for this design."""
    theta, var = np.asarray(s.theta), 2 * s.taste_sd**2 + s.bias_sd**2
    tests = plan[plan["kind"] == "test"]
    share = {}
    for i, x in enumerate(SYSTEMS):
        for j in range(i + 1, len(SYSTEMS)):
            m = theta[i] - theta[j]  # the clip played first is x or y with probability ½ each
            share[(x, SYSTEMS[j])] = float(
                0.5 * (_logistic_normal(m + s.bias_mean, var) + _logistic_normal(m - s.bias_mean, var))
            )
    wins = np.zeros((len(SYSTEMS), len(SYSTEMS)))
    for (x, y), p in share.items():
        wins[SYSTEMS.index(x), SYSTEMS.index(y)], wins[SYSTEMS.index(y), SYSTEMS.index(x)] = p, 1 - p
    bt = analysis._bt_scores(wins * 1e9)  # the prior is negligible at this weight
    d = tests["system_a"].map(SYSTEMS.index).to_numpy(), tests["system_b"].map(SYSTEMS.index).to_numpy()
    gap = theta[d[0]] - theta[d[1]]
    first = 0.5 * (_logistic_normal(gap + s.bias_mean, var) + _logistic_normal(-gap + s.bias_mean, var))
    decisive = 1 - s.tie_beta[0] / sum(s.tie_beta)
    n_catch = int((plan["kind"] == "catch").sum())
    catch_first = float(_logistic_normal(s.bias_mean, s.bias_sd**2))
    position = (decisive * first.sum() + (1 - s.catch_tie) * n_catch * catch_first) / (
        decisive * len(first) + (1 - s.catch_tie) * n_catch
    )
    return {"share": share, "bt": dict(zip(SYSTEMS, bt, strict=True)), "position": float(position)}


def _old_preference_p(table: pd.DataFrame) -> np.ndarray:
    """The replaced per-vote test: exact binomial on decisive votes, Holm-adjusted."""
    p = [
        stats.binomtest(int(x), int(x + y)).pvalue if x + y else 1.0
        for x, y in zip(table["x"], table["y"], strict=True)
    ]
    return analysis._holm(np.asarray(p))


def run_preference(rng, plan, s: Preference, *, resamples: int) -> dict[str, float]:
    """Per-replication hit rates (coverage as a share of the intervals; rejections as 0/1)."""
    answers = simulate_preference(rng, plan, s)
    truth = preference_truth(plan, s)
    pref = analysis.preference_table(answers=answers)
    true_share = np.array(
        [truth["share"][(x, y)] for x, y in zip(pref["system_x"], pref["system_y"], strict=True)]
    )
    null = np.isclose(true_share, 0.5)
    out = {"share_cover": np.mean((pref["ci_low"] <= true_share) & (true_share <= pref["ci_high"]))}
    if null.any():
        out["pref_fwer"] = float(pref["significant"][null].any())
        out["pref_fwer_old"] = float((_old_preference_p(pref)[null] < 0.05).any())
    if (~null).any():
        out["pref_power"] = float(pref["significant"][~null].mean())
    bt = analysis.bradley_terry(answers=answers, resamples=resamples, seed=int(rng.integers(1 << 30)))
    given = bt["ci_low"].notna()
    true_bt = bt["system"].map(truth["bt"]).to_numpy()
    out["bt_refused"] = float(1 - given.mean())
    if given.any():
        hit = (bt["ci_low"] <= true_bt) & (true_bt <= bt["ci_high"])
        out["bt_cover"] = float(hit[given].mean())
        out["bt_cover_old"] = _old_bt_cover(answers, true_bt, resamples, rng)
    pos = analysis.position_bias(answers=answers)
    out["pos_cover"] = float(
        ((pos["ci_low"] <= truth["position"]) & (truth["position"] <= pos["ci_high"])).mean()
    )
    old_p = [
        stats.binomtest(round(f * n), int(n)).pvalue
        for f, n in zip(pos["share_first"], pos["n"], strict=True)
    ]
    if np.isclose(truth["position"], 0.5):
        out["pos_false"] = float((pos["p"] < 0.05).mean())
        out["pos_false_old"] = float((np.asarray(old_p) < 0.05).mean())
    else:
        out["pos_power"] = float((pos["p"] < 0.05).mean())
    return out


def _old_bt_cover(answers: pd.DataFrame, true_bt: np.ndarray, resamples: int, rng) -> float:
    """The replaced interval: percentile of the same listener bootstrap (decisive votes)."""
    hits = []
    for part, (_, votes) in enumerate(answers[answers["kind"] == "test"].groupby("attribute", sort=True)):
        mats = analysis._win_matrices(votes, SYSTEMS)
        boot = analysis._bt_scores(mats[rng.integers(len(mats), size=(resamples, len(mats)))].sum(axis=1))
        low, high = np.percentile(boot, [2.5, 97.5], axis=0)
        truth = true_bt[part * len(SYSTEMS) : (part + 1) * len(SYSTEMS)]
        hits.append((low <= truth) & (truth <= high))
    return float(np.mean(hits))


def simulate_mos(rng: np.random.Generator, plan: pd.DataFrame, s: Mos) -> pd.DataFrame:
    n_listeners = plan["participant"].nunique()
    listener = pd.factorize(plan["participant"], sort=True)[0]
    system = plan["system_a"].map({x: i for i, x in enumerate(SYSTEMS)}).fillna(0).astype(int).to_numpy()
    latent = (
        np.asarray(s.mu)[system]
        + rng.normal(0, s.leniency_sd, n_listeners)[listener]
        + rng.normal(0, s.taste_sd, (n_listeners, len(SYSTEMS)))[listener, system]
        + rng.normal(0, s.noise_sd, len(plan))
    )
    rating = np.clip(np.round(latent), 1, 5).astype(int)
    rating = np.where(plan["kind"] == "catch", rng.integers(1, 3, len(plan)), rating)  # the anchor
    return plan.assign(attribute="naturalness", value=rating.astype(str), first_played="A")


def mos_truth(s: Mos) -> dict[str, float]:
    """E[clip(round(μ + e), 1, 5)] for e ~ N(0, leniency² + taste² + noise²)."""
    sd = np.sqrt(s.leniency_sd**2 + s.taste_sd**2 + s.noise_sd**2)
    edges = stats.norm.cdf((np.array([1.5, 2.5, 3.5, 4.5])[None, :] - np.asarray(s.mu)[:, None]) / sd)
    probs = np.diff(
        np.concatenate([np.zeros((len(s.mu), 1)), edges, np.ones((len(s.mu), 1))], axis=1), axis=1
    )
    return dict(zip(SYSTEMS, probs @ np.arange(1, 6), strict=True))


def run_mos(rng, plan, s: Mos) -> dict[str, float]:
    answers = simulate_mos(rng, plan, s)
    truth = mos_truth(s)
    table = analysis.mos_table(answers=answers)
    true = table["system"].map(truth).to_numpy()
    half_old = stats.t.ppf(0.975, table["n"] - 1) * table["sd"] / np.sqrt(table["n"])
    out = {
        "mos_cover": float(((table["ci_low"] <= true) & (true <= table["ci_high"])).mean()),
        "mos_cover_old": float((np.abs(table["mean"] - true) <= half_old).mean()),
    }
    diff = analysis.mos_differences(answers=answers)
    true_diff = diff["system_x"].map(truth).to_numpy() - diff["system_y"].map(truth).to_numpy()
    out["mos_diff_cover"] = float(((diff["ci_low"] <= true_diff) & (true_diff <= diff["ci_high"])).mean())
    null = np.isclose(true_diff, 0)
    if null.any():
        out["mos_fwer"] = float(diff["significant"][null].any())
    if (~null).any():
        out["mos_power"] = float(diff["significant"][~null].mean())
    return out


ROWS = [  # key, what, nominal
    ("share_cover", "preference share of decisive votes: 95 % interval covers (all pairs)", "95"),
    ("pref_fwer", "preference test, Holm over 12 pairs: family-wise error", "≤ 5"),
    ("pref_fwer_old", "  per-vote exact binomial + Holm (replaced): family-wise error", "≤ 5"),
    ("pref_power", "preference test, Holm: share of true differences found (power)", "–"),
    ("bt_cover", "Bradley–Terry score: 95 % interval covers (all systems)", "95"),
    ("bt_cover_old", "  percentile bootstrap (replaced): covers", "95"),
    ("bt_refused", "Bradley–Terry: share of attributes given no interval", "–"),
    ("pos_cover", "position bias share: 95 % interval covers", "95"),
    ("pos_false", "position bias test: false alarms", "5"),
    ("pos_false_old", "  per-vote binomial (replaced): false alarms", "5"),
    ("pos_power", "position bias test: detects the mean bias of 0.3 logit (power)", "–"),
    ("mos_cover", "MOS per system: 95 % interval covers", "95"),
    ("mos_cover_old", "  per-vote t-interval (replaced): covers", "95"),
    ("mos_diff_cover", "MOS difference per pair: 95 % interval covers", "95"),
    ("mos_fwer", "MOS difference test, Holm over 6 pairs: family-wise error", "≤ 5"),
    ("mos_power", "MOS difference test, Holm: share of true differences found (power)", "–"),
]


SETUP = """\
Design: 4 systems, 8 items, the project's balanced planner. Preference: 24 test trials and 6 catch trials
(the same clip twice) per listener, 2 attributes (Holm family of 12 pairs), the clip played first chosen at
random; tie probability per listener and attribute ~ Beta(2, 8), catch trials tie 80 %. MOS: 16 trials and
2 anchors per listener, ratings round(μ + leniency + taste + N(0, 0.8²)) clipped to 1–5. Truths: the
population share of decisive votes E[σ(Δθ + Δtaste ± bias)], the Bradley–Terry fit to those shares, the
design-weighted share for the clip played first, and E[clipped rating]. The sign-flip tests cannot reach
p < 0.05 below 6 listeners, so their rejection rates at 4 listeners are 0 by construction.
"""


def run(*, reps: int, listeners: list[int], resamples: int = 300, seed: int = 0) -> pd.DataFrame:
    """Mean rates (%) per setting, quantity and listener count."""
    records = []
    for n in listeners:
        pref_plan = design(kind="preference", listeners=n, trials=24, catch_rate=0.25)
        mos_plan = design(kind="mos", listeners=n, trials=16, catch_rate=0.125)
        for index, setting in enumerate(PREFERENCE + MOS):
            rng = np.random.default_rng([seed, n, index])
            results = [
                run_preference(rng, pref_plan, setting, resamples=resamples)
                if isinstance(setting, Preference)
                else run_mos(rng, mos_plan, setting)
                for _ in range(reps)
            ]
            for key in {k for r in results for k in r}:
                values = [r[key] for r in results if key in r]
                records.append(
                    {
                        "setting": setting.name,
                        "key": key,
                        "listeners": n,
                        "rate": 100 * float(np.mean(values)),
                        "reps": len(values),
                    }
                )
    return pd.DataFrame(records)


def markdown(frame: pd.DataFrame, listeners: list[int]) -> str:
    lines = []
    for setting in dict.fromkeys(frame["setting"]):
        part = frame[frame["setting"] == setting]
        lines += [
            f"\n**{setting}**\n",
            "| quantity | nominal % | " + " | ".join(f"{n} listeners" for n in listeners) + " |",
            "|---|---|" + "---|" * len(listeners),
        ]
        for key, what, nominal in ROWS:
            cells = part[part["key"] == key].set_index("listeners")["rate"]
            if len(cells):
                values = " | ".join(f"{cells.get(n, np.nan):.1f}" for n in listeners)
                lines.append(f"| {what} | {nominal} | {values} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        prog="python -m evaluation.listening.coverage", description=__doc__.split("\n")[0]
    )
    p.add_argument("--reps", type=int, default=200, help="replications per setting and listener count (200)")
    p.add_argument("--listeners", type=int, nargs="+", default=[4, 10, 30])
    p.add_argument("--resamples", type=int, default=300, help="Bradley–Terry bootstrap resamples (300)")
    p.add_argument("--out", default=None, help="also write the markdown here")
    args = p.parse_args(argv)
    start = time.time()
    frame = run(reps=args.reps, listeners=args.listeners, resamples=args.resamples)
    command = "python -m evaluation.listening.coverage " + " ".join(sys.argv[1:] if argv is None else argv)
    se = 100 * np.sqrt(0.95 * 0.05 / args.reps)
    text = (
        f"# Listening-test statistics: coverage on simulated listeners\n\n`{command.strip()}` — "
        f"{datetime.date.today().isoformat()}, {time.time() - start:.0f} s.\n\n"
        f"{args.reps} replications per cell (a 95 % coverage of one interval has a Monte-Carlo SE of "
        f"{se:.1f} points; cells average the pairs or systems of a replication, which are correlated).\n\n"
        + SETUP
        + markdown(frame, args.listeners)
    )
    print(text)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text)


if __name__ == "__main__":
    main()
