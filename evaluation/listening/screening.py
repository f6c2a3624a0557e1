"""Listener screening: who a study's tables keep (reported, never deleted) and how many each gate flagged.

Input is the tidy answer table of :func:`evaluation.listening.export.answers_frame` and the study's
``screening`` rules; :func:`evaluation.listening.analysis.analyze` runs every table on all listeners and on
the ones kept here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: more listeners than this from one network address are screened out (``max_listeners_per_network``): vote
#: stuffing comes from one place. A lab or a class behind one address raises it in the study file.
MAX_LISTENERS_PER_NETWORK = 3
GATES = (
    "failed catch trials", "same answer everywhere", "decisions faster than the clips",
    "many listeners from one network",
)  # fmt: skip


def gate_counts(*, screen: pd.DataFrame, participants: pd.DataFrame | None = None) -> pd.DataFrame:
    """How many listeners each screening gate flagged (one listener can trip several), and, from the
    participants table when given, who never reached an answer: stopped by the headphone check, or
    consented and left."""
    rows = [
        {
            "gate": gate,
            "listeners": int(screen["reasons"].str.contains(gate, regex=False).sum()) if len(screen) else 0,
        }
        for gate in GATES
    ]
    if len(screen):
        rows.append({"gate": "screened out (any gate)", "listeners": int(screen["screened_out"].sum())})
        rows.append({"gate": "kept", "listeners": int((~screen["screened_out"]).sum())})
    if participants is not None and len(participants):
        failed = (participants["headphone_attempts"].fillna(0) >= 2) & (
            participants["headphone_score"].fillna(0) < 5
        )
        answered = set(screen["participant"]) if len(screen) else set()
        rows.append({"gate": "headphone check failed (no answers)", "listeners": int(failed.sum())})
        silent = max(0, len(participants) - len(answered) - int(failed.sum()))
        rows.append({"gate": "opened the link, gave no answer", "listeners": silent})
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
    per_network = int(rules.get("max_listeners_per_network", MAX_LISTENERS_PER_NETWORK))
    networks = answers.drop_duplicates("participant") if "network" in answers else pd.DataFrame()
    crowd = (
        networks[networks["network"] != ""].groupby("network")["participant"].count() if len(networks) else {}
    )
    for participant, group in answers.groupby("participant", sort=True):
        catches = group[group["kind"] == "catch"].drop_duplicates("trial_id")
        catch_rows = group[group["kind"] == "catch"]
        failed_trials = set()
        for _, row in catch_rows.iterrows():
            # identical clips: "no difference", or in an arena "both are bad", is right
            wrong = (
                row["value"] not in ("tie", "both_bad")
                if row["expected"] == "tie"
                else _score(row["value"]) > 2
            )
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
        network = str(group["network"].iloc[0]) if "network" in group else ""
        shared = int(crowd.get(network, 1)) if network else 1
        if shared > per_network:
            reasons.append("many listeners from one network")
        rows.append(
            {
                "participant": participant,
                "trials": len(per_trial),
                "catch_trials": len(catches),
                "failed_catch": len(failed_trials),
                "straight_lining": straight,
                "fast_decisions": fast,
                "network": network,
                "listeners_on_network": shared,
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
