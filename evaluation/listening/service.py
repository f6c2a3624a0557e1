"""What a participant can do, checked on the server: start or resume, report plays, answer, fetch clips;
and what the admin can read. ``ListeningService`` is the one way the web (routes.py, the demo's tabs) and
the CLI reach the store; the work is done in the modules beside it:

- catalog.py: studies (register, settings cached per process, open/closed, clip names, participant rules)
- admission.py: starting a session (the open study, the per-address cap, one session per external id)
- sessions.py: consent (which stores the trial plan) and a participant's state
- trials.py: play reports, answers and the listening check, the current trial's clips
- headphone_gate.py: the headphone check before the trials (the check itself: headphones.py)
- arena.py: an arena's live leaderboard; uploads.py: an arena visitor's own recording as one more pair
- admin.py: the admin token check and the admin's readers
- common.py: ListeningError, the API prefix, trial ids, finding a participant by token

A participant is known only by a random token; every call checks that the trial or clip it names belongs
to that token.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from evaluation.listening import admin, admission, arena, headphone_gate, sessions, trials, uploads
from evaluation.listening.catalog import StudyCatalog, rules
from evaluation.listening.common import API, ListeningError
from evaluation.listening.store import Store
from evaluation.listening.study import Study
from evaluation.listening.trials import MAX_EVENTS_PER_TRIAL, SLOTS, STIMULUS_NAME

__all__ = ["API", "MAX_EVENTS_PER_TRIAL", "SLOTS", "STIMULUS_NAME", "ListeningError", "ListeningService"]


class ListeningService:
    def __init__(
        self, *, store: Store, clock: Callable[[], float] = time.time, registry: Callable | None = None
    ) -> None:
        self.store = store
        self.clock = clock
        self._registry = registry  # the converters an arena's uploads use (default: the built-in ones)
        self._studies = StudyCatalog(store)
        self._key: bytes | None = None
        self._boards = arena.Boards(lambda study_id: arena.board(self._studies, study_id))

    def _secret(self) -> bytes:
        """The database's secret key (read once): it keys the address hashes and the headphone layouts."""
        if self._key is None:
            self._key = self.store.address_key()
        return self._key

    # -- studies ------------------------------------------------------------------------------------
    def register(self, *, study: Study, stimuli: list[dict], replace: bool = False) -> None:
        """Store the study and its stimulus rows; a study with answers is never replaced."""
        self._studies.register(study=study, stimuli=stimuli, replace=replace, clock=self.clock)

    def config(self, *, study_id: str) -> dict:
        """The study's settings (cached, but an ``init --replace`` in another process is picked up at once)."""
        return self._studies.config(study_id)

    def set_status(self, *, study_id: str, status: str) -> None:
        self._studies.set_status(study_id, status)

    # -- the admin (every admin reader checks the token first: check_admin) ----------------------------
    @staticmethod
    def check_admin(*, given: str | None) -> None:
        """Raise unless ``given`` equals SONGBRIDGE_ADMIN_TOKEN (compared in constant time); 404 when no
        token is configured (then there is no admin at all)."""
        admin.check_admin(given)

    def studies(self):
        return admin.studies(self._studies)

    def progress(self, *, study_id: str):
        """(per condition, per listener) progress tables of a study."""
        return admin.progress(self._studies, study_id)

    def answers(self, *, study_id: str):
        """The tidy answer table (export.answers_frame) of a study."""
        return admin.answers(self._studies, study_id)

    def participants(self, *, study_id: str):
        return admin.participants(self._studies, study_id)

    # -- participants -------------------------------------------------------------------------------
    def start(self, *, study_id: str, address: str | None = None, params: dict | None = None) -> str:
        """A new participant, a token only: the trial plan comes with consent. Returns the token.

        ``address`` (the caller's network address) is stored only as a keyed hash, and at most the study's
        ``participants.per_address_per_hour`` new participants come from one address in an hour. When the
        study names an external id parameter (``PROLIFIC_PID`` …) and ``params`` (the link's query) carries
        it, each id takes part once: the same id resumes its own session, and a finished one is refused."""
        return admission.start(
            self._studies,
            study_id=study_id,
            address=address,
            params=params,
            clock=self.clock,
            secret=self._secret,
        )

    def participant_rules(self, *, study_id: str) -> dict:
        return rules(self.config(study_id=study_id))

    def consent(self, *, token: str, profile: dict) -> None:
        sessions.consent(self._studies, token=token, profile=profile, clock=self.clock)

    def state(self, *, token: str) -> dict:
        """Where the participant stands: the study's texts, progress and the next unanswered trial."""
        return sessions.state(self._studies, token=token)

    def event(self, *, token: str, trial_id: int, slot: str, event: str) -> None:
        """Record that clip ``slot`` (A or B) started playing or reached its end, at the server's time."""
        trials.event(self.store, token=token, trial_id=trial_id, slot=slot, event=event, clock=self.clock)

    def answer(self, *, token: str, trial_id: int, values: dict) -> dict:
        """Store one trial's answers (every attribute) once; a repeat is acknowledged, not stored."""
        return trials.answer(self._studies, token=token, trial_id=trial_id, values=values, clock=self.clock)

    def stimulus_path(self, *, token: str, trial_id, slot: str) -> tuple[str, str]:
        """The file of clip ``slot`` (a, b, source, melody) of one of this participant's own trials, and the
        study's type."""
        return trials.stimulus_path(self._studies, token=token, trial_id=trial_id, slot=slot)

    def leaderboard(self, *, study_id: str) -> dict:
        """An arena's live leaderboard (arena.py), at most FRESH_S seconds old; 404 for other studies."""
        if self.config(study_id=study_id)["type"] != "arena":  # an unknown study: 404 there
            raise ListeningError("This study has no public leaderboard.", 404)
        return self._boards.get(study_id)

    def check_upload(self, *, token: str) -> None:
        """Raise unless this participant may add a recording now (before it is read: uploads.check)."""
        uploads.check(self._studies, token)

    def upload(self, *, token: str, data: bytes) -> dict:
        """An arena visitor's own recording, converted by two systems into one more pair (uploads.py)."""
        return uploads.add(self._studies, token=token, data=data, registry=self._converters)

    def _converters(self):
        if self._registry is None:
            from models.registry import default_registry

            registry = default_registry()  # built once: its converters stay loaded between uploads
            self._registry = lambda: registry
        return self._registry()

    # -- the headphone check (headphone_gate.py, headphones.py) --------------------------------------
    def headphone_clip(self, *, token: str, trial) -> bytes:
        return headphone_gate.clip(self._studies, token=token, trial=trial, secret=self._secret)

    def headphone_answers(self, *, token: str, given: list) -> dict:
        """Score one attempt of the check (one answer 1–3 per trial); returns the new status."""
        return headphone_gate.submit(self._studies, token=token, given=given, secret=self._secret)
