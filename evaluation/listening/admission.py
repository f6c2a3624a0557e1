"""Who may start a session (a new participant token): the study must be open; at most the study's
``participants.per_address_per_hour`` new participants come from one network address in an hour (the
address is stored only as a keyed hash); an external id (``PROLIFIC_PID`` …) takes part once."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable

from evaluation.listening.catalog import StudyCatalog, rules
from evaluation.listening.common import GONE, ListeningError


def external_id(value) -> str | None:
    """A recruiting platform's participant id as given in the link, or None when absent or not an id."""
    text = str(value).strip() if isinstance(value, str | int) else ""
    return text if 0 < len(text) <= 128 and text.isprintable() else None


def address_hash(secret: bytes, address: str) -> str:
    return hmac.new(secret, address.encode(), hashlib.sha256).hexdigest()[:16]


def start(
    catalog: StudyCatalog,
    *,
    study_id: str,
    address: str | None,
    params: dict | None,
    clock: Callable[[], float],
    secret: Callable[[], bytes],
) -> str:
    """A new participant's token, or the token of the one the link's external id already started.
    ``secret`` gives the database's key (read only when an address is given)."""
    study_rules = rules(catalog.config(study_id))
    external = (
        external_id((params or {}).get(study_rules["external_id"])) if study_rules["external_id"] else None
    )
    hashed = address_hash(secret(), address) if address else None
    token = secrets.token_urlsafe(18)
    now = clock()
    with catalog.store.transaction() as db:
        # Locked until the commit: the per-address cap and the one session per external id hold across
        # replicas.
        row = db.execute(db.for_update("SELECT status FROM studies WHERE id = ?"), [study_id]).fetchone()
        if row is None:  # removed or replaced (init --replace) since its settings were read
            raise ListeningError(GONE, 404)
        if row[0] != "open":
            raise ListeningError("This study is closed. Thank you for your interest.", 409)
        if external is not None:
            known = db.execute(
                "SELECT token, completed_at FROM participants WHERE study_id = ? AND external_id = ?",
                [study_id, external],
            ).fetchone()
            if known and known[1] is not None:
                raise ListeningError("You have already taken part in this study. Thank you!", 409)
            if known:
                return known[0]  # the same person reloading or coming back: their own session
        if hashed is not None:
            recent = db.execute(
                "SELECT COUNT(*), MIN(created_at) FROM participants "
                "WHERE study_id = ? AND address = ? AND created_at >= ?",
                [study_id, hashed, now - 3600],
            ).fetchone()
            if recent[0] >= study_rules["per_address_per_hour"]:
                raise ListeningError(
                    "Too many people have started this study from your network in the last hour; "
                    "please try again later.", 429, retry_after=max(1, round(recent[1] + 3600 - now)),
                )  # fmt: skip
        db.execute(
            "INSERT INTO participants (token, study_id, created_at, address, external_id) VALUES (?, ?, ?, ?, ?)",
            [token, study_id, now, hashed, external],
        )
    return token
