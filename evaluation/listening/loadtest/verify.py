"""Acknowledged vs stored, and the balance of the assignment, read from the database after the servers
have stopped (SQLite's file, or the PostgreSQL database the replicas shared)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass

from evaluation.listening.loadtest.participant import Tally
from evaluation.listening.store import Store


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
    slots_reused: int  # balanced slots (seq) given to more than one participant
    slots_skipped: int  # slots below the highest one that nobody took
    spread: int  # most minus fewest assignments of one (item, pair of systems): balanced means ≤ 1

    @property
    def ok(self) -> bool:
        return (
            self.lost == self.duplicated == self.incomplete == self.altered == 0
            and (self.integrity == "ok" or self.integrity.startswith("not checked (your database)"))
            and self.slots_reused == self.slots_skipped == 0
            and self.spread <= 1
        )


def _integrity(store: Store, *, amcheck: bool) -> str:
    """SQLite: PRAGMA integrity_check. PostgreSQL: amcheck over the answers' indexes (the unique one that
    keeps an answer single among them) on the run's own throwaway server; a database of the user's is
    left as it is (``amcheck`` False: creating an extension there is not the load test's business)."""
    if store.dialect == "sqlite":
        return str(store.db.execute("PRAGMA integrity_check").fetchone()[0])
    if not amcheck:
        return "not checked (your database)"
    try:
        with store.transaction() as db:
            db.execute("CREATE EXTENSION IF NOT EXISTS amcheck")
            names = [
                r[0]
                for r in db.execute(
                    "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'answers'"
                ).fetchall()
            ]
            for name in names:
                db.execute("SELECT bt_index_check(?::regclass, true)", [name])
    except Exception as error:
        return f"not checked ({type(error).__name__}: {str(error).strip()[:80]})"
    return "ok"


def check(
    *,
    data: str,
    study: str,
    tally: Tally,
    attributes: list[str],
    url: str | None = None,
    amcheck: bool = True,
) -> Check:
    # url "" (not None): SQLite in ``data`` even when the environment names a server
    store = Store(root=data, url=url or "")
    try:
        integrity = _integrity(store, amcheck=amcheck)
        rows = store.query("SELECT trial_id, attribute, value FROM answers WHERE study_id = ?", (study,))
        seqs = [
            r["seq"]
            for r in store.query(
                "SELECT seq FROM participants WHERE study_id = ? AND seq IS NOT NULL", (study,)
            )
        ]
        config = json.loads(store.query("SELECT config FROM studies WHERE id = ?", (study,))[0]["config"])
        tests = store.query(
            "SELECT item, system_a, system_b FROM trials WHERE study_id = ? AND kind = 'test'", (study,)
        )
    finally:
        store.close()
    stored: dict[int, dict[str, str]] = {}
    duplicated = 0
    for row in rows:
        duplicated += row["attribute"] in stored.setdefault(row["trial_id"], {})
        stored[row["trial_id"]][row["attribute"]] = row["value"]
    acknowledged = tally.acknowledged
    systems = config["systems"]
    pairs = [(a, b) for i, a in enumerate(systems) for b in systems[i + 1 :]]
    cells = Counter({(item, *sorted(pair)): 0 for item in config["items"] for pair in pairs})
    cells.update((t["item"], *sorted((t["system_a"], t["system_b"]))) for t in tests)
    return Check(
        acknowledged=len(acknowledged),
        stored=len(stored),
        lost=sum(trial not in stored for trial in acknowledged),
        duplicated=duplicated,
        incomplete=sum(set(values) != set(attributes) for values in stored.values()),
        altered=sum(trial in stored and stored[trial] != values for trial, values in acknowledged.items()),
        unacknowledged=sum(trial not in acknowledged for trial in stored),
        integrity=integrity,
        slots_reused=len(seqs) - len(set(seqs)),
        slots_skipped=(max(seqs) + 1 - len(set(seqs))) if seqs else 0,
        spread=(max(cells.values()) - min(cells.values())) if cells else 0,
    )
