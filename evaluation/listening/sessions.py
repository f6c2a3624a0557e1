"""A participant's session after the start: consent, which takes the next slot of the balanced cycle
and stores their whole trial plan (so a page opened and left takes none), and ``state``, where they
stand: the study's texts, progress, the headphone check and the next unanswered trial."""

from __future__ import annotations

import json
from collections.abc import Callable

from evaluation.listening import headphone_gate
from evaluation.listening.assign import plan_listener
from evaluation.listening.catalog import StudyCatalog, rules
from evaluation.listening.common import API, GONE, ListeningError, participant
from evaluation.listening.trials import SLOTS


def _clip_b(names: dict[tuple, str], t) -> str | None:
    """Clip B of a planned trial: a catch trial's twin of its clip A (same audio, other bytes; a study
    imported before twins existed plays the one file twice)."""
    if not t.system_b:
        return None
    output = names[("output", t.item, t.system_b)]
    return names.get(("twin", t.item, t.system_b), output) if t.kind == "catch" else output


def _completion_url(study_rules: dict, code: str | None) -> str | None:
    """Where a participant who finished goes next (the recruiting platform), with their code filled in."""
    if not code or not study_rules.get("completion_url"):
        return None
    return study_rules["completion_url"].replace("{code}", code)


def _plan(db, *, cfg: dict, names: dict[tuple, str], token: str, study_id: str) -> None:
    """Give the participant the next slot of the balanced cycle and store their whole trial list."""
    # Locked until the commit: two replicas consenting at once never take the same slot.
    row = db.execute(
        db.for_update("SELECT status, listeners FROM studies WHERE id = ?"), [study_id]
    ).fetchone()
    if row is None:  # removed or replaced (init --replace) since the participant's row was read
        raise ListeningError(GONE, 404)
    if row[0] != "open":
        raise ListeningError("This study is closed. Thank you for your interest.", 409)
    seq = row[1]
    db.execute("UPDATE studies SET listeners = listeners + 1 WHERE id = ?", [study_id])
    db.execute("UPDATE participants SET seq = ? WHERE token = ?", [seq, token])
    plan = plan_listener(
        kind=cfg["type"], items=cfg["items"], systems=cfg["systems"], seed=cfg["seed"], seq=seq,
        trials=cfg["trials"], catch_rate=cfg["catch_rate"],
    )  # fmt: skip
    rows = []
    for position, t in enumerate(plan):
        kind_a = "anchor" if t.system_a == "_anchor" else "output"
        rows.append(
            (
                token,
                study_id,
                position,
                t.kind,
                t.item,
                t.system_a,
                t.system_b,
                names[(kind_a, t.item, t.system_a)],
                _clip_b(names, t),
                names.get(("source", t.item, None)),
                names.get(("melody", t.item, None)),
                t.expected,
            )
        )
    db.executemany(
        "INSERT INTO trials (participant, study_id, position, kind, item, system_a, system_b, stimulus_a, "
        "stimulus_b, context_source, context_melody, expected) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


def consent(catalog: StudyCatalog, *, token: str, profile: dict, clock: Callable[[], float]) -> None:
    """Take the consent and the study's questions; the first consent plans the participant's trials."""
    p = participant(catalog.store, token)
    study_id = p["study_id"]
    # Read before the transaction (on PostgreSQL a read inside it would take a second pooled connection
    # while holding the first). A study replaced meanwhile took this participant's row with it: GONE below.
    cfg, names = catalog.config(study_id), catalog.stimulus_names(study_id)
    questions = cfg["questions"]
    missing = [q for q in questions if not str(profile.get(q, "")).strip()]
    if missing:
        raise ListeningError(f"Please answer: {', '.join(missing)}.", 422)
    clean = {q: str(profile[q])[:200] for q in questions}
    with catalog.store.transaction() as db:
        row = db.execute(db.for_update("SELECT seq FROM participants WHERE token = ?"), [token]).fetchone()
        if row is None:  # the session went with a replaced study
            raise ListeningError(GONE, 404)
        if row[0] is None:
            _plan(db, cfg=cfg, names=names, token=token, study_id=study_id)
        db.update("participants", token, {"consent_at": clock(), "profile": json.dumps(clean)})


def state(catalog: StudyCatalog, *, token: str) -> dict:
    """Where the participant stands: the study's texts, progress and the next unanswered trial."""
    p = participant(catalog.store, token)
    cfg = catalog.config(p["study_id"])
    trials = catalog.store.query(
        "SELECT t.id, t.position, t.kind, t.stimulus_a, t.stimulus_b, t.context_source, t.context_melody, "
        "EXISTS(SELECT 1 FROM answers a WHERE a.trial_id = t.id) AS done "
        "FROM trials t WHERE t.participant = ? ORDER BY t.position",
        (token,),
    )
    pending = [t for t in trials if not t["done"]]
    nxt = None
    check = headphone_gate.status(p, cfg)
    if pending and headphone_gate.cleared(check):
        t = pending[0]
        # Per trial and slot, never the file's name: A and B of a catch trial are one file.
        url = lambda slot: f"{API}/stimulus/{t['id']}/{slot}?token={token}" if t[SLOTS[slot]] else None  # noqa: E731
        nxt = {
            "trial_id": t["id"], "practice": t["kind"] == "practice", "a": url("a"), "b": url("b"),
            "source": url("source"), "melody": url("melody"),
        }  # fmt: skip
    return {
        "study": {
            **{k: cfg[k] for k in ("title", "type", "attributes", "questions", "consent")},
            "uploads": bool(cfg.get("arena", {}).get("uploads")),  # an arena that takes visitors' recordings
        },
        "consented": p["consent_at"] is not None, "total": len(trials),
        "answered": len(trials) - len(pending), "next": nxt, "code": p["code"],
        "completion_url": _completion_url(rules(cfg), p["code"]),
        "headphones": check,
    }  # fmt: skip
