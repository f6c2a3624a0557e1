"""What every part of the listening service shares: the refusal (ListeningError), the HTTP API's prefix,
reading a trial id from a request, and finding a participant by their token."""

from __future__ import annotations

from evaluation.listening.store import Store
from models.errors import SongbridgeError

API = "/listening/api"
#: a study removed or replaced (``init --replace``) while a request about it was under way
GONE = "This study is no longer running at this link (it was removed or replaced); ask the researcher for the link."


class ListeningError(SongbridgeError):
    """A refused request; ``status`` is the HTTP status the routes answer with."""

    def __init__(self, message: str, status: int = 400, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after  # seconds, for a 429


def forbidden() -> ListeningError:
    return ListeningError("This trial is not assigned to you.", 403)


def parse_trial_id(value) -> int:
    """A trial id as SQLite can bind it; anything else (text, 1e400, 2**70) is a 422, not a 500."""
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        raise ListeningError("trial_id must be a number.", 422) from None
    if not 0 <= number < 2**63:
        raise ListeningError("trial_id is out of range.", 422)
    return number


def participant(store: Store, token: str) -> dict:
    """The participant's row; a 403 for a token the database does not know."""
    rows = store.query("SELECT * FROM participants WHERE token = ?", (str(token),))
    if not rows:
        raise ListeningError("Unknown participant link. Start again from the study link.", 403)
    return rows[0]
