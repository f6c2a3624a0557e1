"""SQLite storage of studies, stimuli, participants, trials, answers and play events (sqlite-utils).

One connection per process, guarded by a lock: every statement is short, and a single writer is
what SQLite wants. WAL on local disk; ``journal_mode="DELETE"`` for network storage (a Space's
persistent bucket), where WAL's shared memory file is not safe. The mode is switched only when it
is configured (``mode=`` or SONGBRIDGE_JOURNAL_MODE): otherwise a database keeps the mode it has (WAL
is stored in the file, so ``init`` or ``status`` never flip a live database) and a new one starts in WAL.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import sqlite_utils

from evaluation.listening import settings
from evaluation.listening.settings import JOURNAL_MODES
from models.errors import SongbridgeError

DB_NAME = "listening.sqlite"
#: PRAGMA user_version of the current schema; :meth:`Store._migrate` brings older databases up to it
SCHEMA_VERSION = 1
#: the participants' columns schema 1 added
NEW_IN_1 = {
    "address": "TEXT",
    "external_id": "TEXT",
    "headphone_score": "INTEGER",
    "headphone_attempts": "INTEGER",
}
TABLES = ("studies", "stimuli", "participants", "trials", "answers", "play_events", "meta")


class StoreError(SongbridgeError, RuntimeError):
    """The database is damaged or cannot be opened."""


def journal_mode() -> str | None:
    """The configured journal mode (SONGBRIDGE_JOURNAL_MODE), checked; None when it is not set."""
    mode = settings.journal_mode()
    if mode is not None and mode not in JOURNAL_MODES:
        raise StoreError(f"SONGBRIDGE_JOURNAL_MODE={mode} is not one of {', '.join(JOURNAL_MODES)}.")
    return mode


class Store:
    """The study database; ``store.db`` is the sqlite-utils Database, ``store.lock`` serialises use."""

    def __init__(self, *, root: str | None = None, mode: str | None = None) -> None:
        self.root = os.path.abspath(root or settings.data_dir())
        os.makedirs(self.root, exist_ok=True)
        self.path = os.path.join(self.root, DB_NAME)
        configured = mode or journal_mode()
        if os.path.isfile(self.path) and os.path.getsize(self.path) == 0:
            raise StoreError(
                f"{self.path} is empty (0 bytes): a damaged or unfinished copy, not a database. Restore the "
                "latest backup, or delete the file to start a new, empty database."
            )
        if configured is None and not os.path.isfile(self.path):
            configured = "WAL"  # a new database
        if configured is not None and configured.upper() not in JOURNAL_MODES:
            raise StoreError(f"journal mode {configured} is not one of {', '.join(JOURNAL_MODES)}.")
        conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        self.db = sqlite_utils.Database(conn)
        self.lock = threading.RLock()
        try:
            self._pragmas(configured)
            self._check()
        except sqlite3.DatabaseError as error:
            conn.close()
            raise StoreError(
                f"{self.path} cannot be opened ({error}). Restore the latest backup "
                "(python -m evaluation.listening backup makes them)."
            ) from error
        except StoreError:
            conn.close()
            raise
        self._schema()

    def _pragmas(self, configured: str | None) -> None:
        ex = self.db.execute
        ex("PRAGMA foreign_keys=ON")
        ex("PRAGMA busy_timeout=30000")
        query = "PRAGMA journal_mode" + (f"={configured.upper()}" if configured else "")
        self.mode = str(ex(query).fetchone()[0]).upper()
        # WAL+NORMAL survives a killed process (the commit is in the WAL file); DELETE needs FULL for that.
        ex("PRAGMA synchronous=" + ("NORMAL" if self.mode == "WAL" else "FULL"))

    def _check(self) -> None:
        result = self.db.execute("PRAGMA integrity_check").fetchall()
        if [r[0] for r in result] != ["ok"]:
            raise StoreError(
                f"{self.path} failed its integrity check ({result[0][0]}). Restore the latest backup "
                "(python -m evaluation.listening backup makes them)."
            )

    def stimuli_dir(self, study_id: str) -> str:
        return os.path.join(self.root, "studies", study_id, "stimuli")

    @contextmanager
    def transaction(self) -> Iterator[sqlite_utils.Database]:
        """One committed unit: BEGIN IMMEDIATE … COMMIT under the process lock."""
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            try:
                self.db.execute("COMMIT")
            except BaseException:
                # A failed COMMIT (SQLITE_BUSY, disk full) can leave the transaction open on the
                # shared connection; close it so the next request does not fail on BEGIN.
                if self.db.conn.in_transaction:
                    self.db.execute("ROLLBACK")
                raise

    def query(self, sql: str, params: tuple | dict = ()) -> list[dict]:
        with self.lock:
            return list(self.db.query(sql, params))

    def _schema(self) -> None:
        db = self.db
        with self.lock:
            names = set(db.table_names())
            if names and not names & set(TABLES):
                raise StoreError(
                    f"{self.path} is another program's database (tables: {', '.join(sorted(names)[:5])}). "
                    "Point SONGBRIDGE_DATA_DIR (or --data-dir) at a folder of its own."
                )
            if names:
                self._migrate()
                missing = [t for t in TABLES if t not in set(db.table_names())]
                if missing:
                    raise StoreError(
                        f"{self.path} lacks the table(s) {', '.join(missing)}: it was damaged or edited by "
                        "hand. Restore the latest backup (python -m evaluation.listening backup makes them)."
                    )
                return
            db["studies"].create(
                {
                    "id": str,
                    "title": str,
                    "type": str,
                    "hash": str,
                    "yaml": str,
                    "config": str,
                    "status": str,
                    "sample_rate": int,
                    "listeners": int,
                    "created_at": float,
                },
                pk="id",
            )
            db["stimuli"].create(
                {
                    "name": str,
                    "study_id": str,
                    "item": str,
                    "system": str,
                    "kind": str,
                    "duration": float,
                    "lufs": float,
                    "sha256": str,
                },
                pk="name",
                foreign_keys=[("study_id", "studies", "id")],
            )
            db["participants"].create(
                {
                    "token": str,
                    "study_id": str,
                    "seq": int,
                    "created_at": float,
                    "consent_at": float,
                    "profile": str,
                    "completed_at": float,
                    "code": str,
                    "address": str,  # a keyed hash of the network address, never the address itself
                    "external_id": str,  # a recruiting platform's participant id (PROLIFIC_PID …), if any
                    "headphone_score": int,  # correct answers in the headphone check's latest attempt
                    "headphone_attempts": int,
                },
                pk="token",
                foreign_keys=[("study_id", "studies", "id")],
            )
            db["trials"].create(
                {
                    "id": int,
                    "participant": str,
                    "study_id": str,
                    "position": int,
                    "kind": str,
                    "item": str,
                    "system_a": str,
                    "system_b": str,
                    "stimulus_a": str,
                    "stimulus_b": str,
                    "context_source": str,
                    "context_melody": str,
                    "expected": str,
                },
                pk="id",
                foreign_keys=[
                    ("participant", "participants", "token"),
                    ("study_id", "studies", "id"),
                    ("stimulus_a", "stimuli", "name"),
                    ("stimulus_b", "stimuli", "name"),
                ],
            )
            db["answers"].create(
                {
                    "id": int,
                    "trial_id": int,
                    "participant": str,
                    "study_id": str,
                    "study_hash": str,
                    "attribute": str,
                    "value": str,
                    "system_a": str,
                    "system_b": str,
                    "first_played": str,
                    "answered_at": float,
                    "decision_s": float,
                },
                pk="id",
                foreign_keys=[
                    ("trial_id", "trials", "id"),
                    ("participant", "participants", "token"),
                    ("study_id", "studies", "id"),
                ],
            )
            db["play_events"].create(
                {"id": int, "trial_id": int, "participant": str, "slot": str, "event": str, "at": float},
                pk="id",
                foreign_keys=[("trial_id", "trials", "id"), ("participant", "participants", "token")],
            )
            db["trials"].create_index(["participant", "position"], unique=True)
            db["trials"].create_index(["study_id"])
            db["answers"].create_index(["trial_id", "attribute"], unique=True)
            db["answers"].create_index(["study_id"])
            db["play_events"].create_index(["trial_id", "slot"])
            db["participants"].create_index(["study_id", "seq"])
            db["stimuli"].create_index(["study_id", "item", "system"])
            self._version_1_indexes()
            db["meta"].create({"key": str, "value": str}, pk="key")
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def _version_1_indexes(self) -> None:
        self.db["participants"].create_index(["study_id", "address", "created_at"], if_not_exists=True)
        self.db.execute(
            "CREATE UNIQUE INDEX IF NOT EXISTS participants_external ON participants (study_id, external_id) "
            "WHERE external_id IS NOT NULL"
        )

    def _migrate(self) -> None:
        """Bring a database of an older schema up to :data:`SCHEMA_VERSION` (columns are only added)."""
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} was written by a newer Songbridge (schema {version}; this one knows "
                f"{SCHEMA_VERSION}). Update Songbridge before opening it."
            )
        if version < 1 and {"participants"} <= set(self.db.table_names()):
            columns = {c.name for c in self.db["participants"].columns}
            with self.transaction() as db:
                for column, kind in NEW_IN_1.items():
                    if column not in columns:
                        db.execute(f"ALTER TABLE participants ADD COLUMN {column} {kind}")
                if "meta" not in db.table_names():
                    db["meta"].create({"key": str, "value": str}, pk="key")
                self._version_1_indexes()
                db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def address_key(self) -> bytes:
        """The secret that keys the address hashes (made once per database): a stored hash cannot be
        turned back into an address by hashing every address there is."""
        with self.lock:
            row = self.db.execute("SELECT value FROM meta WHERE key = 'address_key'").fetchone()
            if row:
                return bytes.fromhex(row[0])
            key = secrets.token_bytes(32)
            with self.transaction() as db:
                db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('address_key', ?)", [key.hex()])
                return bytes.fromhex(
                    db.execute("SELECT value FROM meta WHERE key = 'address_key'").fetchone()[0]
                )

    def backup(self, *, dest: str) -> str:
        """A consistent copy through SQLite's online backup API (safe while the app writes)."""
        os.makedirs(os.path.dirname(os.path.abspath(dest)), exist_ok=True)
        target = sqlite3.connect(dest)
        try:
            with self.lock:
                self.db.conn.backup(target)
        finally:
            target.close()
        return dest

    def close(self) -> None:
        self.db.conn.close()
