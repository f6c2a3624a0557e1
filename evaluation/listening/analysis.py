"""Statistics of a study's answers (pandas, scipy).

Input is the tidy answer table of :func:`evaluation.listening.export.answers_frame`, one row per
(trial, attribute): participant, kind (practice/test/catch), item, attribute, value (A/B/tie or 1–5),
system_a, system_b (what was shown in positions A and B), first_played (A/B), decision_s (answer time
minus first play) and min_listen_s (the trial's clips' durations summed: the least time in which a
listener hears A and then B to the end).

Every interval and test treats the listener, not the vote, as the unit: one listener's votes share
that listener's taste, leniency and habits, so counting them as independent makes intervals too
narrow and tests too eager whenever listeners differ. Shares and means are ratios Σ over listeners
of a count (or a sum of ratings) over Σ of votes, with the linearised listener-clustered standard
error and Student's t with (listeners − 1) degrees of freedom; with equal votes per listener that is
the t-interval of the per-listener means. Preference and position-bias tests flip the sign of each
listener's wins minus losses (exact; a t-test on them let the Holm family-wise error reach 7 % at 4
listeners who differ in taste). Bradley–Terry uses a listener-level bootstrap (its SD × t(listeners − 1)).
``python -m evaluation.listening.coverage`` checks all of them by simulation (results/listening/coverage.md).
Which listeners are kept is decided first, in :mod:`evaluation.listening.screening`.

Ties are reported (``share_tie``) and left out of every test, interval and Bradley–Terry fit, which
all describe the preference among decisive votes: ``x_of_decisive`` and the Bradley–Terry
probability σ(score_x − score_y) estimate the same quantity.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy import stats
from scipy.sparse.csgraph import connected_components

from evaluation.listening.screening import gate_counts, screening
from evaluation.listening.study import PAIRWISE

BT_MIN_LISTENERS = 4  # below this a listener bootstrap has too few distinct resamples to give an interval


def _holm(p: np.ndarray) -> np.ndarray:
    """Holm–Bonferroni adjusted p-values (monotone, capped at 1); NaN (no test) stays NaN and is not counted."""
    p = np.asarray(p, dtype=float)
    adjusted = np.full_like(p, np.nan)
    tested = np.flatnonzero(~np.isnan(p))
    running = 0.0
    for rank, i in enumerate(tested[np.argsort(p[tested])]):
        running = max(running, (len(tested) - rank) * p[i])
        adjusted[i] = min(1.0, running)
    return adjusted


def _clustered(estimate: float, z: np.ndarray, *, null: float | None = None) -> tuple[float, float, float]:
    """95 % interval ``estimate ± t(n−1)·se`` and the two-sided p of the same t against ``null``, where
    ``z`` holds the n listeners' linearised contributions and se = sqrt(n/(n−1)·Σz²) (CR1). NaN for n < 2."""
    n = len(z)
    if n < 2 or not np.isfinite(estimate):
        return np.nan, np.nan, np.nan
    se = float(np.sqrt(n / (n - 1) * np.sum(np.square(z))))
    half = stats.t.ppf(0.975, n - 1) * se
    p = np.nan
    if null is not None:
        diff = estimate - null
        p = float(2 * stats.t.sf(abs(diff) / se, n - 1)) if se > 0 else float(diff == 0)
    return estimate - half, estimate + half, p


def _ratio(num: np.ndarray, den: np.ndarray) -> tuple[float, np.ndarray]:
    """Σnum / Σden over the listeners with den > 0, and each listener's linearised contribution."""
    keep = den > 0
    num, den = num[keep], den[keep]
    total = den.sum()
    if not total:
        return np.nan, np.zeros(0)
    r = num.sum() / total
    return float(r), (num - r * den) / total


@lru_cache(maxsize=32)
def _signs(n: int) -> np.ndarray:
    """Sign vectors for the listener sign-flip test: all 2^n up to 16 listeners, else 20 000 seeded draws
    (the observed, all-plus vector first)."""
    if n <= 16:
        return (1 - 2 * ((np.arange(2**n)[:, None] >> np.arange(n)) & 1)).astype(np.int8)
    draws = np.random.default_rng(n).choice(np.array([-1, 1], dtype=np.int8), size=(20_000, n))
    return np.vstack([np.ones((1, n), dtype=np.int8), draws])


def _sign_flip_p(w: np.ndarray) -> float:
    """Two-sided p of Σw over listeners, under the null that each listener's w is as likely to be −w (wins
    and losses exchangeable): exact by enumerating the sign flips up to 16 listeners, else Monte Carlo.
    It cannot go below 2/2^n: with 4 listeners no test is significant (1/8), with 6 the least p is 1/32."""
    if len(w) < 2:
        return np.nan
    flipped = np.abs(_signs(len(w)) @ w)
    return float(np.mean(flipped >= abs(w.sum()) - 1e-9))


def _share(hits: np.ndarray, decisive: np.ndarray) -> tuple[float, float, float, float]:
    """Share Σhits/Σdecisive over listeners, its listener-clustered 95 % interval (clipped to [0, 1]) and the
    listener sign-flip p of hits − misses against ½.

    Where the listeners leave no spread to estimate, the interval is not given a zero width: with every
    vote on one side it is Clopper–Pearson on the listeners (n of n: each listener one observation, as
    if each always voted alike), with every listener at the same share it uses the binomial standard
    error at (X+½)/(D+1)."""
    r, z = _ratio(hits, decisive)
    keep = decisive > 0
    p = _sign_flip_p(2 * hits[keep] - decisive[keep])
    if len(z) < 2:
        return r, np.nan, np.nan, p
    n, total = len(z), decisive.sum()
    if hits.sum() in (0, total):  # every listener unanimous for one side: count listeners, not votes
        ci = stats.binomtest(n if hits.sum() else 0, n).proportion_ci(method="exact")
        return r, ci.low, ci.high, p
    if np.sum(np.square(z)) < 1e-12 / total**2:
        shrunk = (hits.sum() + 0.5) / (total + 1)
        z = np.full(n, np.sqrt(shrunk * (1 - shrunk) / total / n * (n - 1) / n))  # CR1's n/(n−1) undoes it
    low, high, _ = _clustered(r, z)
    return r, max(low, 0.0), min(high, 1.0), p


def _per_listener(frame: pd.DataFrame, keys: list[str], columns: dict[str, np.ndarray]) -> pd.DataFrame:
    """Counts summed per (keys…, participant)."""
    data = frame[[*keys, "participant"]].assign(**{k: v.astype(float) for k, v in columns.items()})
    return data.groupby([*keys, "participant"], sort=True)[list(columns)].sum().reset_index()


def preference_table(*, answers: pd.DataFrame) -> pd.DataFrame:
    """Per attribute and system pair (x < y by name): counts and shares of x, y and tie over all votes; the
    share of decisive votes for x with its listener-clustered 95 % interval, the listener sign-flip test of
    x's wins minus losses against 0 (``listeners`` = listeners with a decisive vote on the pair), and the
    Holm-adjusted p across every row. Ties are left out of the test and the interval (sign-test
    convention), as they are of :func:`bradley_terry`. Fewer than two listeners: no interval, no test; the
    sign-flip test needs six listeners to reach p < 0.05 at all."""
    tests = answers[(answers["kind"] == "test") & answers["system_b"].notna()]
    if not len(tests):
        return pd.DataFrame()
    a, b, value = tests["system_a"].to_numpy(), tests["system_b"].to_numpy(), tests["value"].to_numpy()
    x, y = np.minimum(a, b), np.maximum(a, b)
    winner = np.where(value == "A", a, np.where(value == "B", b, ""))
    counts = _per_listener(
        tests.assign(system_x=x, system_y=y),
        ["attribute", "system_x", "system_y"],
        {"x": winner == x, "y": winner == y, "n": np.ones(len(tests))},
    )
    rows = []
    for (attribute, sx, sy), per in counts.groupby(["attribute", "system_x", "system_y"], sort=True):
        n_x, n_y, n = (per[c].to_numpy() for c in ("x", "y", "n"))
        share, low, high, p = _share(n_x, n_x + n_y)
        decisive = n_x.sum() + n_y.sum()
        rows.append(
            {
                "attribute": attribute,
                "system_x": sx,
                "system_y": sy,
                "n": int(n.sum()),
                "listeners": int(np.sum(n_x + n_y > 0)),
                "x": int(n_x.sum()),
                "y": int(n_y.sum()),
                "tie": int(n.sum() - decisive),
                "share_x": n_x.sum() / n.sum(),
                "share_y": n_y.sum() / n.sum(),
                "share_tie": (n.sum() - decisive) / n.sum(),
                "x_of_decisive": share,
                "ci_low": low,
                "ci_high": high,
                "p": p,
            }
        )
    table = pd.DataFrame(rows)
    table["p_holm"] = _holm(table["p"].to_numpy())
    table["significant"] = table["p_holm"] < 0.05
    return table


def _bt_scores(wins: np.ndarray, iterations: int = 5000) -> np.ndarray:
    """Bradley–Terry strengths by the MM algorithm; ``wins[..., i, j]`` counts decisive wins of i over j,
    batched over any leading axes.

    A tiny symmetric prior (½/(k−1) win each way per pair, ½ win per system) keeps systems that never
    win or never lose finite; their scores are then set by the prior (see :func:`bradley_terry`).
    Returns log-strengths centred on 0.
    """
    k = wins.shape[-1]
    w = wins + 0.5 * (1 - np.eye(k)) / max(k - 1, 1)
    games = w + np.swapaxes(w, -1, -2)
    won = w.sum(axis=-1)
    p = np.ones(wins.shape[:-1])
    for _ in range(iterations):
        p_new = won / (games / (p[..., :, None] + p[..., None, :])).sum(axis=-1)
        p_new /= np.exp(np.mean(np.log(p_new), axis=-1, keepdims=True))
        done = np.max(np.abs(np.log(p_new / p))) < 1e-10
        p = p_new
        if done:
            break
    log_p = np.log(p)
    return log_p - log_p.mean(axis=-1, keepdims=True)


def _win_matrices(votes: pd.DataFrame, systems: list[str]) -> np.ndarray:
    """Per listener (sorted), decisive wins[i, j] of system i over j; ties are left out."""
    index = {s: i for i, s in enumerate(systems)}
    listener = pd.factorize(votes["participant"], sort=True)[0]
    wins = np.zeros((listener.max() + 1, len(systems), len(systems)))
    a = votes["system_a"].map(index).to_numpy()
    b = votes["system_b"].map(index).to_numpy()
    value = votes["value"].to_numpy()
    np.add.at(wins, (listener[value == "A"], a[value == "A"], b[value == "A"]), 1.0)
    np.add.at(wins, (listener[value == "B"], b[value == "B"], a[value == "B"]), 1.0)
    return wins


def bradley_terry(*, answers: pd.DataFrame, resamples: int = 300, seed: int = 0) -> pd.DataFrame:
    """Per attribute and system: Bradley–Terry log-strength on decisive votes (ties left out, as in
    :func:`preference_table`), a listener-level bootstrap 95 % interval, the rank by score and the interval
    rank (1 + systems whose lower bound lies above this system's upper bound).

    The interval is score ± t(n−1) · SD of the bootstrap scores · √(n/(n−1)) over n listeners: the
    percentile interval of the same bootstrap covered 78–80 % at 4 listeners. With fewer than
    ``BT_MIN_LISTENERS`` listeners, or when the decisive wins do not link every system both ways (a system
    that never wins or never loses: the likelihood has no finite maximum and the score is set by the
    prior), there is no interval and no ``ci_rank``; ``note`` says why."""
    tests = answers[(answers["kind"] == "test") & answers["system_b"].notna()]
    rows = []
    rng = np.random.default_rng(seed)
    for attribute, votes in tests.groupby("attribute", sort=True):
        systems = sorted(set(votes["system_a"]) | set(votes["system_b"]))
        mats = _win_matrices(votes, systems)
        n = len(mats)
        total = mats.sum(axis=0)
        score = _bt_scores(total)
        low = high = np.full(len(systems), np.nan)
        ci_rank = np.full(len(systems), np.nan)
        linked = connected_components(total > 0, directed=True, connection="strong")[0] == 1
        if n < BT_MIN_LISTENERS:
            note = f"no interval: {n} listener(s), fewer than {BT_MIN_LISTENERS}"
        elif not linked:
            note = "no interval: some system never wins or never loses in the decisive votes"
        else:
            note = ""
            # The same draws as indexing mats with them, summed as counts: memory resamples × n, not
            # resamples × n × k × k (an arena's thousands of listeners would need gigabytes)
            draws = rng.integers(n, size=(resamples, n))
            counts = np.stack([np.bincount(d, minlength=n) for d in draws]).astype(float)
            boot = _bt_scores(np.tensordot(counts, mats, axes=1))
            half = stats.t.ppf(0.975, n - 1) * boot.std(axis=0, ddof=1) * np.sqrt(n / (n - 1))
            low, high = score - half, score + half
            ci_rank = 1.0 + np.sum(low[None, :] > high[:, None], axis=1)
        order = (-score).argsort().argsort() + 1
        for i, system in enumerate(systems):
            rows.append(
                {
                    "attribute": attribute,
                    "system": system,
                    "listeners": n,
                    "score": score[i],
                    "ci_low": low[i],
                    "ci_high": high[i],
                    "rank": int(order[i]),
                    "ci_rank": ci_rank[i],
                    "note": note,
                }
            )
    table = pd.DataFrame(rows)
    if len(table):
        table["ci_rank"] = table["ci_rank"].astype("Int64")  # <NA> where there is no interval
    return table


def _rating_sums(answers: pd.DataFrame) -> pd.DataFrame:
    tests = answers[answers["kind"] == "test"]
    score = pd.to_numeric(tests["value"], errors="coerce").to_numpy()
    tests = tests[~np.isnan(score)]
    score = score[~np.isnan(score)]
    return _per_listener(tests, ["attribute", "system_a"], {"sum": score, "votes": np.ones(len(score))})


def mos_table(*, answers: pd.DataFrame) -> pd.DataFrame:
    """Per attribute and system: votes, listeners, the mean of the votes, their SD, the listener-clustered
    95 % t-interval (the t-interval of per-listener means when every listener rates a system equally
    often) and P.808's 1.96σ/√n (over votes, not clustered: for comparison with papers only)."""
    rows = []
    tests = answers[answers["kind"] == "test"]
    scores = tests.assign(score=pd.to_numeric(tests["value"], errors="coerce"))
    sds = scores.groupby(["attribute", "system_a"])["score"].std(ddof=1)
    for (attribute, system), per in _rating_sums(answers).groupby(["attribute", "system_a"], sort=True):
        n = int(per["votes"].sum())
        sd = float(sds[(attribute, system)])
        mean, z = _ratio(per["sum"].to_numpy(), per["votes"].to_numpy())
        low, high, _ = _clustered(mean, z)
        rows.append(
            {
                "attribute": attribute,
                "system": system,
                "n": n,
                "listeners": len(per),
                "mean": mean,
                "sd": sd,
                "ci_low": low,
                "ci_high": high,
                "ci95_p808": 1.96 * sd / np.sqrt(n) if n > 1 else np.nan,
            }
        )
    return pd.DataFrame(rows)


def mos_differences(*, answers: pd.DataFrame) -> pd.DataFrame:
    """Per attribute and system pair (x < y by name): MOS(x) − MOS(y) with its listener-clustered 95 %
    interval and t-test against 0 (listeners who rated x or y; each listener's ratings of both systems
    enter together), and the Holm-adjusted p across every row."""
    rows = []
    for attribute, part in _rating_sums(answers).groupby("attribute", sort=True):
        wide = part.pivot_table(
            index="participant", columns="system_a", values=["sum", "votes"], fill_value=0
        )
        systems = sorted(part["system_a"].unique())
        for i, sx in enumerate(systems):
            for sy in systems[i + 1 :]:
                rated = (wide["votes"][sx] > 0) | (wide["votes"][sy] > 0)
                mx, zx = _ratio(wide["sum"][sx].to_numpy(), wide["votes"][sx].to_numpy())
                my, zy = _ratio(wide["sum"][sy].to_numpy(), wide["votes"][sy].to_numpy())
                z = np.zeros(len(wide))
                z[wide["votes"][sx].to_numpy() > 0] += zx
                z[wide["votes"][sy].to_numpy() > 0] -= zy
                low, high, p = _clustered(mx - my, z[rated.to_numpy()], null=0.0)
                rows.append(
                    {
                        "attribute": attribute,
                        "system_x": sx,
                        "system_y": sy,
                        "listeners": int(rated.sum()),
                        "diff": mx - my,
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


def position_bias(*, answers: pd.DataFrame) -> pd.DataFrame:
    """Per attribute: share of decisive votes (test and catch trials) for the clip played first, with its
    listener-clustered 95 % interval and the listener sign-flip test against ½, as in
    :func:`preference_table`."""
    rows = []
    votes = answers[answers["kind"].isin(["test", "catch"]) & answers["value"].isin(["A", "B"])]
    votes = votes[votes["first_played"].isin(["A", "B"])]
    if not len(votes):
        return pd.DataFrame(rows)
    first = (votes["value"] == votes["first_played"]).to_numpy()
    counts = _per_listener(votes, ["attribute"], {"first": first, "n": np.ones(len(votes))})
    for attribute, per in counts.groupby("attribute", sort=True):
        share, low, high, p = _share(per["first"].to_numpy(), per["n"].to_numpy())
        rows.append(
            {
                "attribute": attribute,
                "n": int(per["n"].sum()),
                "listeners": len(per),
                "share_first": share,
                "ci_low": low,
                "ci_high": high,
                "p": p,
            }
        )
    return pd.DataFrame(rows)


@dataclass
class Analysis:
    """Every table, for all listeners and for the listeners kept after screening."""

    study_type: str
    screening: pd.DataFrame
    gates: pd.DataFrame = field(default_factory=pd.DataFrame)  # listeners per screening gate (gate_counts)
    all: dict[str, pd.DataFrame] = field(default_factory=dict)
    kept: dict[str, pd.DataFrame] = field(default_factory=dict)


def analyze(
    *, answers: pd.DataFrame, study_type: str, rules: dict, resamples: int = 300,
    participants: pd.DataFrame | None = None,
) -> Analysis:  # fmt: skip
    """Run the tables for the study's type on all listeners and on those not screened out."""
    screen = screening(answers=answers, rules=rules) if len(answers) else pd.DataFrame()
    out = Analysis(
        study_type=study_type, screening=screen, gates=gate_counts(screen=screen, participants=participants)
    )
    dropped = set(screen.loc[screen["screened_out"], "participant"]) if len(screen) else set()
    for label, subset in (("all", answers), ("kept", answers[~answers["participant"].isin(dropped)])):
        tables: dict[str, pd.DataFrame] = {}
        if len(subset):
            if study_type in PAIRWISE:
                tables["preference"] = preference_table(answers=subset)
                tables["bradley_terry"] = bradley_terry(answers=subset, resamples=resamples)
                tables["position_bias"] = position_bias(answers=subset)
            else:
                tables["mos"] = mos_table(answers=subset)
                tables["mos_differences"] = mos_differences(answers=subset)
        getattr(out, label).update(tables)
    return out
