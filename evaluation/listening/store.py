"""The listening store: studies, stimuli, participants, trials, answers and play events, in SQLite (the
default, one file in the data folder) or PostgreSQL (``SONGBRIDGE_DATABASE_URL``, for several app replicas).
The databases themselves are in database.py, the tables in schema.py; here: opening one, refusing a
foreign or damaged one, bringing an older schema up to date, and the database's secret key.
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from evaluation.listening import settings
from evaluation.listening.database import (
    Handle,
    PostgresDatabase,
    SQLiteDatabase,
    StoreError,
    journal_mode,
)
from evaluation.listening.schema import INDEXES_1, NEW_IN_1, SCHEMA_VERSION, TABLE_NAMES, TABLES

__all__ = ["DB_NAME", "NEW_IN_1", "SCHEMA_VERSION", "TABLES", "Store", "StoreError", "journal_mode"]

DB_NAME = "listening.sqlite"
RESTORE = "Restore the latest backup (python -m evaluation.listening backup makes them)."


class Store:
    """The study database. ``root`` is the data folder (the clips; the SQLite file unless ``url`` or
    SONGBRIDGE_DATABASE_URL names a PostgreSQL database); ``mode`` is SQLite's journal mode."""

    def __init__(self, *, root: str | None = None, mode: str | None = None, url: str | None = None) -> None:
        self.root = os.path.abspath(root or settings.data_dir())
        os.makedirs(self.root, exist_ok=True)
        url = url if url is not None else settings.database_url()
        if url:
            if not url.startswith(("postgresql://", "postgres://")):
                raise StoreError(
                    f"SONGBRIDGE_DATABASE_URL must start with postgresql:// (got {url.split(':')[0]}:)."
                )
            self.database: SQLiteDatabase | PostgresDatabase = PostgresDatabase(url)
        else:
            self.database = SQLiteDatabase(os.path.join(self.root, DB_NAME), mode=mode)
        self._in_transaction = threading.local()  # this thread is inside transaction() (query refuses)
        self.dialect = self.database.dialect
        self.where = self.database.where  # the file, or the URL without its password
        self.mode = self.database.mode
        try:
            self._schema()
        except BaseException:
            self.database.close()
            raise

    @property
    def db(self):
        """SQLite only: the sqlite-utils Database (tests and SQLite's own checks reach it)."""
        return self.database.db

    def stimuli_dir(self, study_id: str) -> str:
        return os.path.join(self.root, "studies", study_id, "stimuli")

    @contextmanager
    def transaction(self) -> Iterator[Handle]:
        """One committed unit; the handle's statements use ``?`` placeholders on either database. Inside it,
        use the handle only, never :meth:`query`: on PostgreSQL that takes a second pooled connection while
        the transaction holds one, and a pool full of waiting transactions would wait forever."""
        with self.database.transaction() as handle:
            self._in_transaction.active = True
            try:
                yield handle
            finally:
                self._in_transaction.active = False

    def query(self, sql: str, params: tuple | list = ()) -> list[dict]:
        if getattr(self._in_transaction, "active", False):  # caught by every test, on both databases
            raise RuntimeError("Store.query inside a transaction: use the transaction's handle (db.query)")
        return self.database.query(sql, params)

    def _schema(self) -> None:
        names = self.database.table_names()
        if not names:
            self.database.create()
            return
        if not names & set(TABLE_NAMES):
            raise StoreError(
                f"{self.where} is another program's database (tables: {', '.join(sorted(names)[:5])}). "
                "Point SONGBRIDGE_DATA_DIR (or --data-dir) at a folder of its own, or "
                "SONGBRIDGE_DATABASE_URL at a database of its own."
            )
        self._migrate()
        missing = [t for t in TABLE_NAMES if t not in self.database.table_names()]
        if missing:
            raise StoreError(
                f"{self.where} lacks the table(s) {', '.join(missing)}: it was damaged or edited by hand. {RESTORE}"
            )

    def _migrate(self) -> None:
        """Bring a database of an older schema up to :data:`SCHEMA_VERSION` (columns are only added)."""
        version = self.database.schema_version()
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.where} was written by a newer Songbridge (schema {version}; this one knows "
                f"{SCHEMA_VERSION}). Update Songbridge before opening it."
            )
        if version < 1 and "participants" in self.database.table_names():
            columns = self.database.columns("participants")
            with self.transaction() as db:
                for column, kind in NEW_IN_1.items():
                    if column not in columns:
                        db.execute(f"ALTER TABLE participants ADD COLUMN {column} {kind}")
                db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
                for index in INDEXES_1:
                    db.execute(index.sql())
                self.database.set_schema_version(db, SCHEMA_VERSION)

    def address_key(self) -> bytes:
        """The secret that keys the address hashes (made once per database): a stored hash cannot be
        turned back into an address by hashing every address there is."""
        rows = self.query("SELECT value FROM meta WHERE key = 'address_key'")
        if rows:
            return bytes.fromhex(rows[0]["value"])
        key = secrets.token_bytes(32)
        with self.transaction() as db:  # two processes at once: the first key written wins for both
            db.execute(
                "INSERT INTO meta (key, value) VALUES ('address_key', ?) ON CONFLICT (key) DO NOTHING",
                [key.hex()],
            )
            return bytes.fromhex(db.execute("SELECT value FROM meta WHERE key = 'address_key'").fetchone()[0])

    def backup(self, *, dest: str) -> str:
        """SQLite: a consistent copy through the online backup API; PostgreSQL: ``pg_dump``'s archive."""
        return self.database.backup(dest=dest)

    def close(self) -> None:
        self.database.close()
