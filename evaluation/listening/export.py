"""Tidy tables out of the store: answers for export and analysis, progress for `status` and the admin tab."""

from __future__ import annotations

import json
import os

import pandas as pd

from evaluation.listening.store import Store

ANSWERS_SQL = """
SELECT a.participant, a.trial_id, t.position, t.kind, t.item, a.attribute, a.value, a.system_a, a.system_b,
       a.first_played, a.decision_s, sa.duration + COALESCE(sb.duration, 0) AS min_listen_s,
       t.expected, a.answered_at, a.study_hash, p.profile, p.seq, p.address
FROM answers a JOIN trials t ON t.id = a.trial_id JOIN participants p ON p.token = a.participant
JOIN stimuli sa ON sa.name = t.stimulus_a LEFT JOIN stimuli sb ON sb.name = t.stimulus_b
WHERE a.study_id = ? ORDER BY a.answered_at, a.id
"""
ANSWER_COLUMNS = [
    "participant", "trial_id", "position", "kind", "item", "attribute", "value", "system_a", "system_b",
    "first_played", "decision_s", "min_listen_s", "expected", "answered_at", "study_hash", "profile", "network",
]  # fmt: skip


def answers_frame(*, store: Store, study_id: str) -> pd.DataFrame:
    """One row per (trial, attribute) answer, with the positions shown and the listener's profile."""
    rows = store.query(ANSWERS_SQL, (study_id,))
    frame = pd.DataFrame(rows, columns=[*ANSWER_COLUMNS[:-1], "seq", "address"])
    # Pseudonymous listener ids in exports: the token is a credential and never leaves the server.
    frame["participant"] = [listener_id(seq) for seq in frame["seq"]]
    frame["network"] = network_labels(frame["address"])
    return frame[ANSWER_COLUMNS]


def network_labels(addresses: pd.Series) -> list[str]:
    """Which listeners shared a network address, as labels of this study only (N01, N02, … in order of
    appearance; "" when unknown): the keyed hash itself would link listeners across studies."""
    labels: dict[str, str] = {}
    for address in addresses:
        if isinstance(address, str) and address not in labels:
            labels[address] = f"N{len(labels) + 1:02d}"
    return [labels.get(a, "") if isinstance(a, str) else "" for a in addresses]


def participants_frame(*, store: Store, study_id: str) -> pd.DataFrame:
    """Everyone who opened the study link: consent, headphone check and completion (no answers needed)."""
    rows = store.query(
        "SELECT seq, consent_at, completed_at, headphone_score, headphone_attempts FROM participants "
        "WHERE study_id = ? ORDER BY created_at, token",  # arrival order, the same from either database
        (study_id,),
    )
    return pd.DataFrame(
        rows, columns=["seq", "consent_at", "completed_at", "headphone_score", "headphone_attempts"]
    )


def listener_id(seq: int) -> str:
    """The listener's id in every table: from their slot in the study (``seq``), not from row order."""
    return f"L{int(seq) + 1:04d}"


def export(*, store: Store, study_id: str, fmt: str, out: str) -> str:
    """Write the answers as CSV or Parquet; returns the file written."""
    return write_frame(answers_frame(store=store, study_id=study_id), fmt=fmt, out=out)


def write_frame(frame: pd.DataFrame, *, fmt: str, out: str) -> str:
    os.makedirs(os.path.dirname(os.path.abspath(out)) or ".", exist_ok=True)
    if fmt == "csv":
        frame.to_csv(out, index=False)
    elif fmt == "parquet":
        frame.to_parquet(out, index=False)
    else:
        raise ValueError(f"format {fmt!r} is not csv or parquet")
    return out


def studies(*, store: Store) -> pd.DataFrame:
    return pd.DataFrame(
        store.query(
            "SELECT s.id, s.title, s.type, s.status, s.hash, s.listeners AS started, "
            "(SELECT COUNT(*) FROM participants p WHERE p.study_id = s.id AND p.completed_at IS NOT NULL) "
            "AS completed, (SELECT COUNT(DISTINCT trial_id) FROM answers a WHERE a.study_id = s.id) AS answered "
            "FROM studies s ORDER BY s.created_at"
        ),
        columns=["id", "title", "type", "status", "hash", "started", "completed", "answered"],
    )


def progress_by_condition(*, store: Store, study_id: str) -> pd.DataFrame:
    """Assigned and answered test trials per item and shown order (A, B)."""
    return pd.DataFrame(
        store.query(
            "SELECT t.item, t.system_a, t.system_b, COUNT(*) AS assigned, "
            "SUM(CASE WHEN EXISTS(SELECT 1 FROM answers a WHERE a.trial_id = t.id) THEN 1 ELSE 0 END) AS answered "
            "FROM trials t "
            "WHERE t.study_id = ? AND t.kind = 'test' GROUP BY t.item, t.system_a, t.system_b "
            "ORDER BY t.item, t.system_a, t.system_b",
            (study_id,),
        ),
        columns=["item", "system_a", "system_b", "assigned", "answered"],
    )


def progress_by_listener(*, store: Store, study_id: str) -> pd.DataFrame:
    rows = store.query(
        "SELECT p.token, p.seq, p.profile, CASE WHEN p.code IS NULL THEN 0 ELSE 1 END AS completed, "
        "COUNT(t.id) AS trials, "
        "SUM(CASE WHEN EXISTS(SELECT 1 FROM answers a WHERE a.trial_id = t.id) THEN 1 ELSE 0 END) AS answered "
        "FROM participants p LEFT JOIN trials t ON t.participant = p.token "
        "WHERE p.study_id = ? AND p.seq IS NOT NULL "
        "GROUP BY p.token ORDER BY p.seq",
        (study_id,),
    )
    frame = pd.DataFrame(rows, columns=["token", "seq", "profile", "completed", "trials", "answered"])
    frame["listener"] = [listener_id(seq) for seq in frame["seq"]]
    frame["profile"] = [json.loads(p) if p else {} for p in frame["profile"]]
    return frame.drop(columns=["token"])[["listener", "seq", "trials", "answered", "completed", "profile"]]
