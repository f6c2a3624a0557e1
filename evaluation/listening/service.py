"""What a participant can do, checked on the server: start or resume, report plays, answer, fetch clips.

A participant is known only by a random token; the trial plan (and the listener's slot in the
balanced cycle) is stored at consent, so a page opened and left takes none. Every call checks that the
trial or clip it names belongs to that token; clips are fetched per trial and slot, so a URL never
shows that A and B of a catch trial are one file. Plays are taken only for the participant's current
(next unanswered) trial, and an answer only once both clips reported ``ended`` after playing for at
least their duration since the previous answer; each answer is committed on its own (submitting it
again stores nothing).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import time
from collections.abc import Callable

from evaluation.listening import headphones, settings
from evaluation.listening.assign import plan_listener
from evaluation.listening.store import Store
from evaluation.listening.study import DEFAULT_PARTICIPANTS, Study
from models.errors import SongbridgeError

STIMULUS_NAME = re.compile(r"^[0-9a-f]{16}\.wav$")
API = "/listening/api"
#: play reports stored per trial (both clips, play and ended): an honest listener replays a clip a few
#: times; the cap keeps a script's flood of reports from growing the answer's check
MAX_EVENTS_PER_TRIAL = 200
SLOTS = {"a": "stimulus_a", "b": "stimulus_b", "source": "context_source", "melody": "context_melody"}


class ListeningError(SongbridgeError):
    """A refused request; ``status`` is the HTTP status the routes answer with."""

    def __init__(self, message: str, status: int = 400, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after  # seconds, for a 429


def _forbidden() -> ListeningError:
    return ListeningError("This trial is not assigned to you.", 403)


def _clip_b(names: dict[tuple, str], t) -> str | None:
    """Clip B of a planned trial: a catch trial's twin of its clip A (same audio, other bytes; a study
    imported before twins existed plays the one file twice)."""
    if not t.system_b:
        return None
    output = names[("output", t.item, t.system_b)]
    return names.get(("twin", t.item, t.system_b), output) if t.kind == "catch" else output


def _external_id(value) -> str | None:
    """A recruiting platform's participant id as given in the link, or None when absent or not an id."""
    text = str(value).strip() if isinstance(value, str | int) else ""
    return text if 0 < len(text) <= 128 and text.isprintable() else None


def _rules(cfg: dict) -> dict:
    """A study's ``participants:`` rules (the defaults for a study imported before they existed)."""
    return {**DEFAULT_PARTICIPANTS, **cfg.get("participants", {})}


def _cleared(check: dict) -> bool:
    """The headphone check lets the participant on to the trials (passed, or the study has none)."""
    return check["status"] in ("passed", "off")


def _completion_url(rules: dict, code: str | None) -> str | None:
    """Where a participant who finished goes next (the recruiting platform), with their code filled in."""
    if not code or not rules.get("completion_url"):
        return None
    return rules["completion_url"].replace("{code}", code)


def _trial_id(value) -> int:
    """A trial id as SQLite can bind it; anything else (text, 1e400, 2**70) is a 422, not a 500."""
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        raise ListeningError("trial_id must be a number.", 422) from None
    if not 0 <= number < 2**63:
        raise ListeningError("trial_id is out of range.", 422)
    return number


class ListeningService:
    def __init__(self, *, store: Store, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock
        self._config: dict[str, tuple[float, dict]] = {}  # study -> (version, settings)
        self._names: dict[str, dict[tuple, str]] = {}
        self._key: bytes | None = None

    # -- studies ------------------------------------------------------------------------------------
    def register(self, *, study: Study, stimuli: list[dict], replace: bool = False) -> None:
        """Store the study and its stimulus rows; a study with answers is never replaced."""
        config = {
            "title": study.title, "type": study.type, "attributes": study.attributes,
            "systems": list(study.systems), "items": sorted({r["item"] for r in stimuli}),
            "trials": study.trials_per_listener, "catch_rate": study.catch_rate, "seed": study.seed,
            "screening": study.screening, "participants": study.participants, "consent": study.consent,
            "questions": study.questions,
            "hash": study.hash,
        }  # fmt: skip
        n_systems = len(study.systems)
        cells = len(config["items"]) * (
            n_systems * (n_systems - 1) // 2 if study.type == "preference" else n_systems
        )
        if study.trials_per_listener > cells:
            raise ListeningError(
                f"trials_per_listener: {study.trials_per_listener} is more than the {cells} conditions of the "
                f"{len(config['items'])} items found; a listener would hear one twice."
            )
        with self.store.transaction() as db:
            if db["studies"].count_where("id = ?", [study.id]):
                if db["answers"].count_where("study_id = ?", [study.id]):
                    raise ListeningError(
                        f"Study '{study.id}' already has answers; give the new version a new id."
                    )
                if not replace:
                    raise ListeningError(
                        f"Study '{study.id}' exists; run init with --replace to import it again."
                    )
                db.execute(
                    "DELETE FROM play_events WHERE participant IN (SELECT token FROM participants WHERE study_id = ?)",
                    [study.id],
                )
                for table in ("trials", "participants", "stimuli"):
                    db.execute(f"DELETE FROM {table} WHERE study_id = ?", [study.id])
                db["studies"].delete(study.id)
            db["studies"].insert(
                {
                    "id": study.id,
                    "title": study.title,
                    "type": study.type,
                    "hash": study.hash,
                    "yaml": study.source_text,
                    "config": json.dumps(config),
                    "status": "open",
                    "sample_rate": study.sample_rate,
                    "listeners": 0,
                    "created_at": self.clock(),
                }
            )
            db["stimuli"].insert_all(stimuli)
        self._config.pop(study.id, None)
        self._names.pop(study.id, None)

    def config(self, *, study_id: str) -> dict:
        """The study's settings. Cached, but checked against the stored version (its import time) on each
        call: ``init --replace`` in another process while the app serves the study is picked up at once
        (stale clip names made every new consent fail until a restart)."""
        rows = self.store.query("SELECT config, created_at FROM studies WHERE id = ?", (study_id,))
        if not rows:
            raise ListeningError(f"There is no study '{study_id}'. Check the link.", 404)
        cached = self._config.get(study_id)
        if cached is None or cached[0] != rows[0]["created_at"]:  # new, or imported again meanwhile
            self._names.pop(study_id, None)
            self._config[study_id] = cached = (rows[0]["created_at"], json.loads(rows[0]["config"]))
        return cached[1]

    def set_status(self, *, study_id: str, status: str) -> None:
        if status not in ("open", "closed"):
            raise ListeningError("A study is either open or closed.")
        self.config(study_id=study_id)
        with self.store.transaction() as db:
            db["studies"].update(study_id, {"status": status})

    def _stimulus_names(self, study_id: str) -> dict[tuple, str]:
        if study_id not in self._names:
            rows = self.store.query(
                "SELECT name, item, system, kind FROM stimuli WHERE study_id = ?", (study_id,)
            )
            self._names[study_id] = {(r["kind"], r["item"], r["system"]): r["name"] for r in rows}
        return self._names[study_id]

    # -- the admin (every admin reader checks the token first: check_admin) ----------------------------
    @staticmethod
    def check_admin(*, given: str | None) -> None:
        """Raise unless ``given`` equals SONGBRIDGE_ADMIN_TOKEN (compared in constant time); 404 when no
        token is configured (then there is no admin at all)."""
        expected = settings.admin_token()
        if expected is None:
            raise ListeningError("Not found.", 404)
        if not given or not hmac.compare_digest(str(given).encode(), expected.encode()):
            raise ListeningError("The admin token is missing or wrong.", 403)

    def studies(self):
        from evaluation.listening.export import studies

        return studies(store=self.store)

    def progress(self, *, study_id: str):
        """(per condition, per listener) progress tables of a study."""
        from evaluation.listening.export import progress_by_condition, progress_by_listener

        self.config(study_id=study_id)
        return (
            progress_by_condition(store=self.store, study_id=study_id),
            progress_by_listener(store=self.store, study_id=study_id),
        )

    def answers(self, *, study_id: str):
        """The tidy answer table (export.answers_frame) of a study."""
        from evaluation.listening.export import answers_frame

        self.config(study_id=study_id)
        return answers_frame(store=self.store, study_id=study_id)

    def participants(self, *, study_id: str):
        from evaluation.listening.export import participants_frame

        self.config(study_id=study_id)
        return participants_frame(store=self.store, study_id=study_id)

    # -- participants -------------------------------------------------------------------------------
    def start(self, *, study_id: str, address: str | None = None, params: dict | None = None) -> str:
        """A new participant, a token only: the trial plan comes with consent. Returns the token.

        ``address`` (the caller's network address) is stored only as a keyed hash, and at most the study's
        ``participants.per_address_per_hour`` new participants come from one address in an hour. When the
        study names an external id parameter (``PROLIFIC_PID`` …) and ``params`` (the link's query) carries
        it, each id takes part once: the same id resumes its own session, and a finished one is refused."""
        rules = self.participant_rules(study_id=study_id)
        external = _external_id((params or {}).get(rules["external_id"])) if rules["external_id"] else None
        hashed = self._address_hash(address) if address else None
        token = secrets.token_urlsafe(18)
        now = self.clock()
        with self.store.transaction() as db:
            row = db.execute("SELECT status FROM studies WHERE id = ?", [study_id]).fetchone()
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
                if recent[0] >= rules["per_address_per_hour"]:
                    raise ListeningError(
                        "Too many people have started this study from your network in the last hour; "
                        "please try again later.", 429, retry_after=max(1, round(recent[1] + 3600 - now)),
                    )  # fmt: skip
            db.execute(
                "INSERT INTO participants (token, study_id, created_at, address, external_id) VALUES (?, ?, ?, ?, ?)",
                [token, study_id, now, hashed, external],
            )
        return token

    def participant_rules(self, *, study_id: str) -> dict:
        return _rules(self.config(study_id=study_id))

    def _secret(self) -> bytes:
        """The database's secret key (read once): it keys the address hashes and the headphone layouts."""
        if self._key is None:
            self._key = self.store.address_key()
        return self._key

    def _address_hash(self, address: str) -> str:
        return hmac.new(self._secret(), address.encode(), hashlib.sha256).hexdigest()[:16]

    def _plan(self, db, token: str, study_id: str) -> None:
        """Give the participant the next slot of the balanced cycle and store their whole trial list."""
        cfg = self.config(study_id=study_id)
        names = self._stimulus_names(study_id)
        row = db.execute("SELECT status, listeners FROM studies WHERE id = ?", [study_id]).fetchone()
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
        db.conn.executemany(
            "INSERT INTO trials (participant, study_id, position, kind, item, system_a, system_b, stimulus_a, "
            "stimulus_b, context_source, context_melody, expected) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )

    def _participant(self, token: str) -> dict:
        rows = self.store.query("SELECT * FROM participants WHERE token = ?", (str(token),))
        if not rows:
            raise ListeningError("Unknown participant link. Start again from the study link.", 403)
        return rows[0]

    def consent(self, *, token: str, profile: dict) -> None:
        p = self._participant(token)
        questions = self.config(study_id=p["study_id"])["questions"]
        missing = [q for q in questions if not str(profile.get(q, "")).strip()]
        if missing:
            raise ListeningError(f"Please answer: {', '.join(missing)}.", 422)
        clean = {q: str(profile[q])[:200] for q in questions}
        with self.store.transaction() as db:
            if db.execute("SELECT seq FROM participants WHERE token = ?", [token]).fetchone()[0] is None:
                self._plan(db, token, p["study_id"])
            db["participants"].update(token, {"consent_at": self.clock(), "profile": json.dumps(clean)})

    def state(self, *, token: str) -> dict:
        """Where the participant stands: the study's texts, progress and the next unanswered trial."""
        p = self._participant(token)
        cfg = self.config(study_id=p["study_id"])
        trials = self.store.query(
            "SELECT t.id, t.position, t.kind, t.stimulus_a, t.stimulus_b, t.context_source, t.context_melody, "
            "EXISTS(SELECT 1 FROM answers a WHERE a.trial_id = t.id) AS done "
            "FROM trials t WHERE t.participant = ? ORDER BY t.position",
            (token,),
        )
        pending = [t for t in trials if not t["done"]]
        nxt = None
        check = self._headphone_status(p, cfg)
        if pending and _cleared(check):
            t = pending[0]
            # Per trial and slot, never the file's name: A and B of a catch trial are one file.
            url = lambda slot: f"{API}/stimulus/{t['id']}/{slot}?token={token}" if t[SLOTS[slot]] else None  # noqa: E731
            nxt = {
                "trial_id": t["id"], "practice": t["kind"] == "practice", "a": url("a"), "b": url("b"),
                "source": url("source"), "melody": url("melody"),
            }  # fmt: skip
        return {
            "study": {k: cfg[k] for k in ("title", "type", "attributes", "questions", "consent")},
            "consented": p["consent_at"] is not None, "total": len(trials),
            "answered": len(trials) - len(pending), "next": nxt, "code": p["code"],
            "completion_url": _completion_url(_rules(cfg), p["code"]),
            "headphones": check,
        }  # fmt: skip

    def _trial(self, token: str, trial_id) -> dict:
        trial_id = _trial_id(trial_id)
        rows = self.store.query(
            "SELECT t.*, sa.duration AS dur_a, sb.duration AS dur_b FROM trials t "
            "JOIN stimuli sa ON sa.name = t.stimulus_a LEFT JOIN stimuli sb ON sb.name = t.stimulus_b "
            "WHERE t.id = ?",
            (trial_id,),
        )
        if not rows or rows[0]["participant"] != token:
            raise _forbidden()
        return rows[0]

    def event(self, *, token: str, trial_id: int, slot: str, event: str) -> None:
        """Record that clip ``slot`` (A or B) started playing or reached its end, at the server's time."""
        if slot not in ("A", "B") or event not in ("play", "ended"):
            raise ListeningError("slot must be A or B and event play or ended.", 422)
        trial_id = _trial_id(trial_id)
        # One statement checks that this is the participant's current trial, that the trial has room for
        # another report, and writes: the hot path.
        with self.store.transaction() as db:
            written = db.execute(
                "INSERT INTO play_events (trial_id, participant, slot, event, at) "
                "SELECT id, participant, ?, ?, ? FROM (SELECT id, participant FROM trials t "
                "WHERE t.participant = ? AND NOT EXISTS(SELECT 1 FROM answers a WHERE a.trial_id = t.id) "
                "ORDER BY t.position LIMIT 1) WHERE id = ? "
                "AND (SELECT COUNT(*) FROM play_events WHERE trial_id = ?) < ?",
                [slot, event, self.clock(), str(token), trial_id, trial_id, MAX_EVENTS_PER_TRIAL],
            ).rowcount
        if written != 1:
            self._trial(str(token), trial_id)  # someone else's trial: 403
            stored = self.store.query("SELECT COUNT(*) AS n FROM play_events WHERE trial_id = ?", (trial_id,))
            if stored[0]["n"] >= MAX_EVENTS_PER_TRIAL:
                raise ListeningError(
                    f"This trial's clips have been played {MAX_EVENTS_PER_TRIAL // 2} times; please answer it.",
                    429,
                )
            raise ListeningError("This is not your current trial. Reload the page to continue.", 409)

    def answer(self, *, token: str, trial_id: int, values: dict) -> dict:
        """Store one trial's answers (every attribute) once; a repeat is acknowledged, not stored."""
        p = self._participant(token)
        if p["consent_at"] is None:
            raise ListeningError("Please give your consent first.", 409)
        trial = self._trial(token, trial_id)
        cfg = self.config(study_id=p["study_id"])
        if not _cleared(self._headphone_status(p, cfg)):
            raise ListeningError("Please do the headphone check first.", 409)
        allowed = {"A", "B", "tie"} if cfg["type"] == "preference" else {"1", "2", "3", "4", "5"}
        values = {str(k): str(v) for k, v in (values or {}).items()}
        for attribute in cfg["attributes"]:
            if values.get(attribute) not in allowed:
                raise ListeningError(f"Answer '{attribute}' with one of {', '.join(sorted(allowed))}.", 422)
        now = self.clock()
        # The listening check reads and decides outside the store's lock (every listening request needs it);
        # a report arriving meanwhile could only add evidence. Only what was played after the previous
        # answer counts for this one.
        since = self.store.query(
            "SELECT MAX(a.answered_at) AS t FROM trials t JOIN answers a ON a.trial_id = t.id "
            "WHERE t.participant = ? AND t.position < ?",
            (token, trial["position"]),
        )[0]["t"]
        events = self.store.query(
            "SELECT slot, event, at FROM play_events WHERE trial_id = ? AND at >= ?",
            (trial["id"], since if since is not None else float("-inf")),
        )
        first_play = self._check_listened(
            trial, events, now, slots=("A", "B") if trial["stimulus_b"] else ("A",)
        )
        first = min(first_play, key=first_play.get)
        with self.store.transaction() as db:
            if db.execute("SELECT 1 FROM answers WHERE trial_id = ? LIMIT 1", [trial["id"]]).fetchone():
                return {"stored": False, "duplicate": True}
            head = (trial["id"], token, p["study_id"], cfg["hash"])
            shown = (trial["system_a"], trial["system_b"], first, now, now - min(first_play.values()))
            db.conn.executemany(
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
            if left == 0:
                code = secrets.token_hex(4).upper()
                db.execute(
                    "UPDATE participants SET completed_at = ?, code = ? WHERE token = ?", [now, code, token]
                )
        return {"stored": True, "duplicate": False, "left": left, "code": code}

    @staticmethod
    def _check_listened(
        trial: dict, events: list[dict], now: float, *, slots: tuple[str, ...]
    ) -> dict[str, float]:
        """Each slot needs a play and, after it, an ``ended`` no sooner than the clip's duration allows.
        Linear in the reports: the first play and the last ``ended`` of a slot decide (they are the pair
        farthest apart)."""
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

    # -- the headphone check (headphones.py) -----------------------------------------------------------
    def _headphone_key(self) -> bytes:
        return hmac.new(self._secret(), b"headphone check", hashlib.sha256).digest()

    def _headphone_status(self, p: dict, cfg: dict | None = None) -> dict:
        """off (the study has no check), pending (with the clips of the current attempt), passed or failed;
        ``cfg``: the study's settings when the caller has them already."""
        if not _rules(cfg or self.config(study_id=p["study_id"]))["headphone_check"]:
            return {"status": "off"}
        attempts, score = p.get("headphone_attempts") or 0, p.get("headphone_score")
        if score is not None and score >= headphones.PASS_AT:
            return {"status": "passed", "score": score}
        if attempts >= headphones.ATTEMPTS:
            return {"status": "failed", "score": score}
        token = p["token"]
        clips = [f"{API}/headphones/{k}?token={token}" for k in range(headphones.TRIALS)]
        return {"status": "pending", "attempt": attempts + 1, "of": headphones.ATTEMPTS, "clips": clips}

    def headphone_clip(self, *, token: str, trial) -> bytes:
        p = self._participant(token)
        check = self._headphone_status(p)
        k = _trial_id(trial)
        if check["status"] != "pending" or k >= headphones.TRIALS:
            raise ListeningError("No such clip.", 404)
        attempt = p.get("headphone_attempts") or 0
        return headphones.trial_wav(*headphones.layout(self._headphone_key(), token, attempt, k))

    def headphone_answers(self, *, token: str, given: list) -> dict:
        """Score one attempt of the check (one answer 1–3 per trial); returns the new status."""
        p = self._participant(token)
        if p["consent_at"] is None:
            raise ListeningError("Please give your consent first.", 409)
        if self._headphone_status(p)["status"] != "pending":
            raise ListeningError("The headphone check is already done.", 409)
        if not isinstance(given, list) or len(given) != headphones.TRIALS:
            raise ListeningError(f"Answer all {headphones.TRIALS} headphone trials (1, 2 or 3 each).", 422)
        attempt = p.get("headphone_attempts") or 0
        score = headphones.score(given, headphones.answers(self._headphone_key(), token, attempt))
        with self.store.transaction() as db:
            db.execute(
                "UPDATE participants SET headphone_score = ?, headphone_attempts = ? "
                "WHERE token = ? AND COALESCE(headphone_attempts, 0) = ?",
                [score, attempt + 1, token, attempt],
            )
        return self._headphone_status(self._participant(token))

    def stimulus_path(self, *, token: str, trial_id, slot: str) -> str:
        """The file of clip ``slot`` (a, b, source, melody) of one of this participant's own trials."""
        if not _cleared(self._headphone_status(self._participant(token))):
            raise ListeningError("No such clip.", 404)
        column = SLOTS.get(str(slot))
        try:
            trial_id = _trial_id(trial_id)
        except ListeningError:
            column = None
        if column is None:
            raise ListeningError("No such clip.", 404)
        # only the current (next unanswered) trial's clips: fetching all of a plan's clips at once
        # would let a script compare every clip it will hear
        rows = self.store.query(
            f"SELECT id, {column} AS name, study_id FROM trials t WHERE participant = ? "
            "AND NOT EXISTS(SELECT 1 FROM answers a WHERE a.trial_id = t.id) ORDER BY position LIMIT 1",
            (token,),
        )
        rows = [r for r in rows if r["id"] == trial_id]
        if not rows or not STIMULUS_NAME.match(str(rows[0]["name"])):
            raise ListeningError("No such clip.", 404)
        path = os.path.join(self.store.stimuli_dir(rows[0]["study_id"]), rows[0]["name"])
        if not os.path.isfile(path):
            raise ListeningError("No such clip.", 404)
        return path
