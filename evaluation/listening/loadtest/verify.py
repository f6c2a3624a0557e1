"""Acknowledged vs stored, read from the SQLite file itself after the server has stopped."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from evaluation.listening.loadtest.participant import Tally
from evaluation.listening.store import DB_NAME


@dataclass(frozen=True)
class Check:
    acknowledged: int  # trials whose answer the server acknowledged (200: stored or duplicate)
    stored: int  # trials with answers in the database
    lost: int  # acknowledged but not stored
    duplicated: int  # (trial, attribute) pairs stored more than once
    incomplete: int  # stored trials missing an attribute
    altered: int  # acknowledged trials whose stored values differ from those sent
    unacknowledged: (
        int  # stored, but the acknowledgement died with the server (the retry then saw a duplicate)
    )
    integrity: str

    @property
    def ok(self) -> bool:
        return self.lost == self.duplicated == self.incomplete == self.altered == 0 and self.integrity == "ok"


def check(*, data: str, study: str, tally: Tally, attributes: list[str]) -> Check:
    conn = sqlite3.connect(f"file:{data}/{DB_NAME}?mode=ro", uri=True)
    try:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        rows = conn.execute(
            "SELECT trial_id, attribute, value FROM answers WHERE study_id = ?", (study,)
        ).fetchall()
    finally:
        conn.close()
    stored: dict[int, dict[str, str]] = {}
    duplicated = 0
    for trial, attribute, value in rows:
        duplicated += attribute in stored.setdefault(trial, {})
        stored[trial][attribute] = value
    acknowledged = tally.acknowledged
    return Check(
        acknowledged=len(acknowledged),
        stored=len(stored),
        lost=sum(trial not in stored for trial in acknowledged),
        duplicated=duplicated,
        incomplete=sum(set(values) != set(attributes) for values in stored.values()),
        altered=sum(trial in stored and stored[trial] != values for trial, values in acknowledged.items()),
        unacknowledged=sum(trial not in acknowledged for trial in stored),
        integrity=str(integrity),
    )
