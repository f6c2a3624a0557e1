"""A participant's trials once planned: play reports (only for the current, next unanswered trial, and
at most MAX_EVENTS_PER_TRIAL of them), answers (taken once both clips reported ``ended`` after playing
for at least their duration since the previous answer; each committed on its own, stored once), and the
clips of the current trial, fetched per trial and slot so a URL never shows that A and B are one file."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable

from evaluation.listening import headphone_gate
from evaluation.listening.catalog import StudyCatalog
from evaluation.listening.common import ListeningError, forbidden, parse_trial_id, participant
from evaluation.listening.store import Store

STIMULUS_NAME = re.compile(r"^[0-9a-f]{16}\.wav$")
#: play reports stored per trial (both clips, play and ended): an honest listener replays a clip a few
#: times; the cap keeps a script's flood of reports from growing the answer's check
MAX_EVENTS_PER_TRIAL = 200
SLOTS = {"a": "stimulus_a", "b": "stimulus_b", "source": "context_source", "melody": "context_melody"}
#: the answers each study type takes; an arena's voter may also find both clips bad
ANSWERS = {
    "preference": {"A", "B", "tie"},
    "arena": {"A", "B", "tie", "both_bad"},
    "mos": {"1", "2", "3", "4", "5"},
}


def own_trial(store: Store, token: str, trial_id) -> dict:
    """One of the participant's own trials, with its clips' durations; 403 for anyone else's."""
    number = parse_trial_id(trial_id)
    rows = store.query(
        "SELECT t.*, sa.duration AS dur_a, sb.duration AS dur_b FROM trials t "
        "JOIN stimuli sa ON sa.name = t.stimulus_a LEFT JOIN stimuli sb ON sb.name = t.stimulus_b "
        "WHERE t.id = ?",
        (number,),
    )
    if not rows or rows[0]["participant"] != token:
        raise forbidden()
    return rows[0]


def event(store: Store, *, token: str, trial_id, slot: str, event: str, clock: Callable[[], float]) -> None:
    """Record that clip ``slot`` (A or B) started playing or reached its end, at the server's time."""
    if slot not in ("A", "B") or event not in ("play", "ended"):
        raise ListeningError("slot must be A or B and event play or ended.", 422)
    number = parse_trial_id(trial_id)
    # One statement checks that this is the participant's current trial, that the trial has room for
    # another report, and writes: the hot path.
    with store.transaction() as db:
        written = db.execute(
            "INSERT INTO play_events (trial_id, participant, slot, event, at) "
            "SELECT id, participant, ?, ?, ? FROM (SELECT id, participant FROM trials t "
            "WHERE t.participant = ? AND NOT EXISTS(SELECT 1 FROM answers a WHERE a.trial_id = t.id) "
            "ORDER BY t.position LIMIT 1) AS current_trial WHERE id = ? "
            "AND (SELECT COUNT(*) FROM play_events WHERE trial_id = ?) < ?",
            [slot, event, clock(), str(token), number, number, MAX_EVENTS_PER_TRIAL],
        ).rowcount
    if written != 1:
        own_trial(store, str(token), number)  # someone else's trial: 403
        stored = store.query("SELECT COUNT(*) AS n FROM play_events WHERE trial_id = ?", (number,))
        if stored[0]["n"] >= MAX_EVENTS_PER_TRIAL:
            raise ListeningError(
                f"This trial's clips have been played {MAX_EVENTS_PER_TRIAL // 2} times; please answer it.",
                429,
            )
        raise ListeningError("This is not your current trial. Reload the page to continue.", 409)


def answer(catalog: StudyCatalog, *, token: str, trial_id, values: dict, clock: Callable[[], float]) -> dict:
    """Store one trial's answers (every attribute) once; a repeat is acknowledged, not stored."""
    store = catalog.store
    p = participant(store, token)
    if p["consent_at"] is None:
        raise ListeningError("Please give your consent first.", 409)
    row = own_trial(store, token, trial_id)
    cfg = catalog.config(p["study_id"])
    if not headphone_gate.cleared(headphone_gate.status(p, cfg)):
        raise ListeningError("Please do the headphone check first.", 409)
    allowed = ANSWERS[cfg["type"]]
    values = {str(k): str(v) for k, v in (values or {}).items()}
    for attribute in cfg["attributes"]:
        if values.get(attribute) not in allowed:
            raise ListeningError(f"Answer '{attribute}' with one of {', '.join(sorted(allowed))}.", 422)
    now = clock()
    # The listening check reads and decides outside the store's lock (every listening request needs it);
    # a report arriving meanwhile could only add evidence. Only what was played after the previous
    # answer counts for this one.
    since = store.query(
        "SELECT MAX(a.answered_at) AS t FROM trials t JOIN answers a ON a.trial_id = t.id "
        "WHERE t.participant = ? AND t.position < ?",
        (token, row["position"]),
    )[0]["t"]
    events = store.query(
        "SELECT slot, event, at FROM play_events WHERE trial_id = ? AND at >= ?",
        (row["id"], since if since is not None else float("-inf")),
    )
    first_play = check_listened(row, events, now, slots=("A", "B") if row["stimulus_b"] else ("A",))
    first = min(first_play, key=first_play.get)
    # An arena names the two systems once the vote is in (never before: the vote is blind).
    revealed = {"revealed": {"A": row["system_a"], "B": row["system_b"]}} if cfg["type"] == "arena" else {}
    with store.transaction() as db:
        # The participant's row is locked until the commit: a resubmission racing the first submission
        # (another replica) waits, then sees it stored; and the last two answers cannot both miss the code.
        db.execute(db.for_update("SELECT token FROM participants WHERE token = ?"), [token])
        if db.execute("SELECT 1 FROM answers WHERE trial_id = ? LIMIT 1", [row["id"]]).fetchone():
            return {"stored": False, "duplicate": True, **revealed}
        head = (row["id"], token, p["study_id"], cfg["hash"])
        shown = (row["system_a"], row["system_b"], first, now, now - min(first_play.values()))
        db.executemany(
            "INSERT INTO answers (trial_id, participant, study_id, study_hash, attribute, value, system_a, "
            "system_b, first_played, answered_at, decision_s) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(*head, a, values[a], *shown) for a in cfg["attributes"]],
        )
        left = db.execute(
            "SELECT COUNT(*) FROM trials t WHERE t.participant = ? "
            "AND NOT EXISTS(SELECT 1 FROM answers a WHERE a.trial_id = t.id)",
            [token],
        ).fetchone()[0]
        code = None
        if left == 0:  # the first completion's code stays (an arena visitor's upload adds a trial after it)
            db.execute(
                "UPDATE participants SET completed_at = COALESCE(completed_at, ?), code = COALESCE(code, ?) "
                "WHERE token = ?",
                [now, secrets.token_hex(4).upper(), token],
            )
            code = db.execute("SELECT code FROM participants WHERE token = ?", [token]).fetchone()[0]
    return {"stored": True, "duplicate": False, "left": left, "code": code, **revealed}


def check_listened(
    trial: dict, events: list[dict], now: float, *, slots: tuple[str, ...]
) -> dict[str, float]:
    """Each slot needs a play and, after it, an ``ended`` no sooner than the clip's duration allows.
    Linear in the reports: the first play and the last ``ended`` of a slot decide (they are the pair
    farthest apart). Returns each slot's first play."""
    first_play: dict[str, float] = {}
    for slot in slots:
        duration = trial["dur_a"] if slot == "A" else trial["dur_b"]
        # Jitter tolerance: the play report can reach us a little later than the ended report does.
        slack = min(0.1, 0.05 * duration)
        plays = [e["at"] for e in events if e["slot"] == slot and e["event"] == "play"]
        if not plays:
            raise ListeningError(f"Please play clip {slot} to the end before answering.", 409)
        ends = [e["at"] for e in events if e["slot"] == slot and e["event"] == "ended"]
        start = min(plays)
        if not ends or max(ends) - start < duration - slack or now - start < duration - slack:
            raise ListeningError(f"Please listen to clip {slot} to the end before answering.", 409)
        first_play[slot] = start
    return first_play


def stimulus_path(catalog: StudyCatalog, *, token: str, trial_id, slot: str) -> tuple[str, str]:
    """The file of clip ``slot`` (a, b, source, melody) of one of this participant's own trials, and the
    study's type."""
    store = catalog.store
    p = participant(store, token)
    cfg = catalog.config(p["study_id"])
    if not headphone_gate.cleared(headphone_gate.status(p, cfg)):
        raise ListeningError("No such clip.", 404)
    column = SLOTS.get(str(slot))
    try:
        number = parse_trial_id(trial_id)
    except ListeningError:
        column = None
    if column is None:
        raise ListeningError("No such clip.", 404)
    # only the current (next unanswered) trial's clips: fetching all of a plan's clips at once
    # would let a script compare every clip it will hear
    rows = store.query(
        f"SELECT id, {column} AS name, study_id FROM trials t WHERE participant = ? "
        "AND NOT EXISTS(SELECT 1 FROM answers a WHERE a.trial_id = t.id) ORDER BY position LIMIT 1",
        (token,),
    )
    rows = [r for r in rows if r["id"] == number]
    if not rows or not STIMULUS_NAME.match(str(rows[0]["name"])):
        raise ListeningError("No such clip.", 404)
    path = os.path.join(store.stimuli_dir(rows[0]["study_id"]), rows[0]["name"])
    if not os.path.isfile(path):
        raise ListeningError("No such clip.", 404)
    return path, cfg["type"]
