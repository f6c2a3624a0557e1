"""The arena's live leaderboard (``type: arena``): visitors vote on two anonymous conversions of one input
(A / B / tie / both bad) and see the systems' names after voting; the board ranks the systems.

Every rule of a study holds for an arena's votes: the per-address cap on new sessions, the server's
listening check before a vote counts, and the screening gates (failed catch trials, one answer
everywhere, decisions faster than the clips, many listeners from one network). The board counts only the
listeners screening keeps and says how many each gate removed. Scores are Bradley–Terry log-strengths of
the decisive votes (A or B; ties and "both bad" are counted, not scored) with listener-bootstrap
intervals (analysis.bradley_terry); a system is ranked once it has ``arena.min_votes`` decisive votes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pandas as pd

from evaluation.listening.analysis import bradley_terry
from evaluation.listening.catalog import StudyCatalog
from evaluation.listening.screening import gate_counts, screening

#: seconds a computed board is served before it is computed again (0.1 s for a few hundred votes; the
#: answers table and the screening grow with the votes)
FRESH_S = 10.0


def _number(value) -> float | None:
    return None if value is None or pd.isna(value) else round(float(value), 4)


def leaderboard(
    *, answers: pd.DataFrame, participants: pd.DataFrame | None, systems: list[str], rules: dict,
    min_votes: int, resamples: int = 300,
) -> dict:  # fmt: skip
    """The board as JSON-ready data: ranked systems first (by score), then those still short of votes."""
    screen = screening(answers=answers, rules=rules) if len(answers) else pd.DataFrame()
    dropped = set(screen.loc[screen["screened_out"], "participant"]) if len(screen) else set()
    kept = answers[~answers["participant"].isin(dropped)] if len(answers) else answers
    votes = kept[(kept["kind"] == "test") & kept["system_b"].notna()] if len(kept) else kept
    scores = bradley_terry(answers=votes, resamples=resamples) if len(votes) else pd.DataFrame()
    by_system = scores.set_index("system") if len(scores) else pd.DataFrame()
    rows = []
    for system in systems:
        mine = votes[(votes["system_a"] == system) | (votes["system_b"] == system)] if len(votes) else votes
        won = ((mine["value"] == "A") & (mine["system_a"] == system)) | (
            (mine["value"] == "B") & (mine["system_b"] == system)
        )
        decisive = int(mine["value"].isin(["A", "B"]).sum()) if len(mine) else 0
        row = by_system.loc[system] if system in by_system.index else None
        rows.append(
            {
                "system": system,
                "score": _number(row["score"]) if row is not None else None,
                "ci_low": _number(row["ci_low"]) if row is not None else None,
                "ci_high": _number(row["ci_high"]) if row is not None else None,
                "votes": decisive,
                "wins": int(won.sum()) if len(mine) else 0,
                "ties": int((mine["value"] == "tie").sum()) if len(mine) else 0,
                "both_bad": int((mine["value"] == "both_bad").sum()) if len(mine) else 0,
                "ranked": decisive >= min_votes,
            }
        )
    ranked = sorted((r for r in rows if r["ranked"]), key=lambda r: -(r["score"] or 0.0))
    for rank, row in enumerate(ranked, start=1):
        row["rank"] = rank
    waiting = sorted((r for r in rows if not r["ranked"]), key=lambda r: -r["votes"])
    gates = gate_counts(screen=screen, participants=participants)
    return {
        "systems": ranked + waiting,
        "min_votes": min_votes,
        "listeners": int(kept["participant"].nunique()) if len(kept) else 0,
        "decisive_votes": int(votes["value"].isin(["A", "B"]).sum()) if len(votes) else 0,
        "note": str(scores["note"].iloc[0]) if len(scores) else "no votes yet",
        "gates": [
            {"gate": g, "listeners": int(n)} for g, n in zip(gates["gate"], gates["listeners"], strict=True)
        ],
    }


def board(catalog: StudyCatalog, study_id: str) -> dict:
    """The board of an arena study from its stored votes (the service refuses any other study: their
    results stay with the researcher until the study ends)."""
    from evaluation.listening.export import answers_frame, participants_frame

    cfg = catalog.config(study_id)
    return leaderboard(
        answers=answers_frame(store=catalog.store, study_id=study_id),
        participants=participants_frame(store=catalog.store, study_id=study_id),
        systems=list(cfg["systems"]), rules=cfg["screening"], min_votes=int(cfg["arena"]["min_votes"]),
    )  # fmt: skip


class Boards:
    """Boards computed at most every FRESH_S seconds per study, per process (every replica its own); the
    readers of one study wait for one computation, those of another study do not wait for it."""

    def __init__(self, compute: Callable[[str], dict], clock: Callable[[], float] = time.monotonic) -> None:
        self.compute, self.clock = compute, clock
        self._boards: dict[str, tuple[float, dict]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, study_id: str) -> dict:
        with self._guard:
            lock = self._locks.setdefault(study_id, threading.Lock())
        with lock:
            cached = self._boards.get(study_id)
            if cached is not None and self.clock() - cached[0] < FRESH_S:
                return cached[1]
            board = {**self.compute(study_id), "computed_at": time.time()}
            self._boards[study_id] = (self.clock(), board)
            return board
