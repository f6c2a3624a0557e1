"""The headphone check as the gate before the trials (its tones, layouts and scoring: headphones.py): a
participant's status (off, pending, passed, failed), the clips of their current attempt, and scoring an
attempt. Layouts are keyed from the database's secret, so a page cannot be told the answers."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

from evaluation.listening import headphones
from evaluation.listening.catalog import StudyCatalog, rules
from evaluation.listening.common import API, ListeningError, parse_trial_id, participant


def cleared(check: dict) -> bool:
    """The headphone check lets the participant on to the trials (passed, or the study has none)."""
    return check["status"] in ("passed", "off")


def _key(secret: bytes) -> bytes:
    return hmac.new(secret, b"headphone check", hashlib.sha256).digest()


def status(p: dict, cfg: dict) -> dict:
    """off (the study has no check), pending (with the clips of the current attempt), passed or failed;
    ``p``: the participant's row, ``cfg``: their study's settings."""
    if not rules(cfg)["headphone_check"]:
        return {"status": "off"}
    attempts, score = p.get("headphone_attempts") or 0, p.get("headphone_score")
    if score is not None and score >= headphones.PASS_AT:
        return {"status": "passed", "score": score}
    if attempts >= headphones.ATTEMPTS:
        return {"status": "failed", "score": score}
    token = p["token"]
    clips = [f"{API}/headphones/{k}?token={token}" for k in range(headphones.TRIALS)]
    return {"status": "pending", "attempt": attempts + 1, "of": headphones.ATTEMPTS, "clips": clips}


def clip(catalog: StudyCatalog, *, token: str, trial, secret: Callable[[], bytes]) -> bytes:
    """Trial ``trial`` of the participant's current attempt, as a WAV; 404 unless the check is pending."""
    p = participant(catalog.store, token)
    check = status(p, catalog.config(p["study_id"]))
    k = parse_trial_id(trial)
    if check["status"] != "pending" or k >= headphones.TRIALS:
        raise ListeningError("No such clip.", 404)
    attempt = p.get("headphone_attempts") or 0
    return headphones.trial_wav(*headphones.layout(_key(secret()), token, attempt, k))


def submit(catalog: StudyCatalog, *, token: str, given: list, secret: Callable[[], bytes]) -> dict:
    """Score one attempt of the check (one answer 1–3 per trial); returns the new status."""
    p = participant(catalog.store, token)
    if p["consent_at"] is None:
        raise ListeningError("Please give your consent first.", 409)
    if status(p, catalog.config(p["study_id"]))["status"] != "pending":
        raise ListeningError("The headphone check is already done.", 409)
    if not isinstance(given, list) or len(given) != headphones.TRIALS:
        raise ListeningError(f"Answer all {headphones.TRIALS} headphone trials (1, 2 or 3 each).", 422)
    attempt = p.get("headphone_attempts") or 0
    score = headphones.score(given, headphones.answers(_key(secret()), token, attempt))
    with catalog.store.transaction() as db:
        db.execute(
            "UPDATE participants SET headphone_score = ?, headphone_attempts = ? "
            "WHERE token = ? AND COALESCE(headphone_attempts, 0) = ?",
            [score, attempt + 1, token, attempt],
        )
    p = participant(catalog.store, token)
    return status(p, catalog.config(p["study_id"]))
