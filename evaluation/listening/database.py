"""The two databases a listening store can live in, behind one small interface.

- :class:`SQLiteDatabase` (the default): one file in the data folder, one connection per process guarded
  by a lock (every statement is short, and a single writer is what SQLite wants); ``BEGIN IMMEDIATE`` makes
  each transaction the only writer, so a read-then-write inside one needs no further lock.
- :class:`PostgresDatabase` (``SONGBRIDGE_DATABASE_URL=postgresql://…``): a pool of psycopg connections,
  shared by every app replica through the server. Transactions run at READ COMMITTED; the few that read a
  row and then write from what they read lock that row first (:meth:`Handle.for_update`), so two replicas
  never hand out one balanced slot twice or store one answer twice.

Statements are written once, with ``?`` placeholders, in the SQL both databases speak.
"""

from __future__ import annotations

import functools
import os
import shutil
import sqlite3
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs, unquote, urlsplit, urlunsplit

import sqlite_utils

from evaluation.listening import schema, settings
from evaluation.listening.settings import JOURNAL_MODES
from models.errors import SongbridgeError

try:  # PostgreSQL support is optional at import time: a SQLite user never needs it
    import psycopg
except ImportError:  # pragma: no cover - psycopg is in requirements.txt
    psycopg = None

#: what a failing database raises (a full disk, a locked file, a server gone away)
STORAGE_ERRORS: tuple[type[BaseException], ...] = (sqlite3.Error,) + ((psycopg.Error,) if psycopg else ())


class StoreError(SongbridgeError, RuntimeError):
    """The database is damaged or cannot be opened."""


@functools.lru_cache(maxsize=512)
def _pyformat(sql: str) -> str:
    """``?`` placeholders as psycopg's ``%s`` (a literal ``%`` doubled). Every ``?`` is a placeholder: the
    store's SQL has none in a string literal and uses no jsonb ``?`` operator."""
    return sql.replace("%", "%%").replace("?", "%s")


def _postgres_params(params) -> list:
    """PostgreSQL's text cannot hold NUL, and a request's token or study name may carry one (``%00``):
    it becomes U+FFFD, so such a name finds nothing (as on SQLite) instead of failing the statement."""
    return [v.replace("\x00", "\ufffd") if isinstance(v, str) else v for v in params]


class Handle:
    """One connection's statements inside a transaction (SQLite's; :class:`PostgresHandle` PostgreSQL's):
    ``?`` placeholders, and the inserts and updates built on ``execute``."""

    dialect = "sqlite"

    def __init__(self, conn, execute=None) -> None:
        self.conn = conn
        self._execute = execute or conn.execute  # sqlite-utils' execute: a test makes its COMMIT fail

    def execute(self, sql: str, params=()):
        """The cursor (``fetchone``, ``fetchall``, ``rowcount``)."""
        return self._execute(sql, params)

    def executemany(self, sql: str, rows) -> None:
        self.conn.executemany(sql, rows)

    def query(self, sql: str, params=()) -> list[dict]:
        cursor = self.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def for_update(self, select: str) -> str:
        """``select`` locking the rows it reads until the transaction ends: as it is on SQLite, whose
        ``BEGIN IMMEDIATE`` already holds the whole database (PostgresHandle adds the lock)."""
        return select

    def insert(self, table: str, row: dict) -> None:
        self.insert_all(table, [row])

    def insert_all(self, table: str, rows: list[dict]) -> None:
        """Rows of one table; each row may name any subset of the columns (the others stay NULL)."""
        for columns in dict.fromkeys(tuple(r) for r in rows):  # one statement per set of columns
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
            self.executemany(sql, [tuple(r[c] for c in columns) for r in rows if tuple(r) == columns])

    def update(self, table: str, key, values: dict) -> None:
        """Set ``values`` on the row whose primary key is ``key``."""
        assignments = ", ".join(f"{column} = ?" for column in values)
        self.execute(
            f"UPDATE {table} SET {assignments} WHERE {schema.PRIMARY_KEYS[table]} = ?",
            [*values.values(), key],
        )


class PostgresHandle(Handle):
    """A pooled psycopg connection's statements: ``?`` as ``%s``, NUL out of text, row locks."""

    dialect = "postgresql"

    def execute(self, sql: str, params=()):
        return self.conn.execute(_pyformat(sql), _postgres_params(params))

    def executemany(self, sql: str, rows) -> None:
        with self.conn.cursor() as cursor:
            cursor.executemany(_pyformat(sql), [_postgres_params(row) for row in rows])

    def for_update(self, select: str) -> str:
        """NO KEY UPDATE, not UPDATE: the lock then does not wait for rows that merely reference the
        locked one (an answer naming its study)."""
        return select + " FOR NO KEY UPDATE"


class SQLiteDatabase:
    """``listening.sqlite`` in the data folder. WAL on local disk; ``journal_mode="DELETE"`` for network
    storage (a Space's persistent bucket), where WAL's shared memory file is not safe. The mode is switched
    only when it is configured (``mode=`` or SONGBRIDGE_JOURNAL_MODE): otherwise a database keeps the mode
    it has (WAL is stored in the file, so ``init`` or ``status`` never flip a live database) and a new one
    starts in WAL."""

    dialect = "sqlite"

    def __init__(self, path: str, *, mode: str | None = None) -> None:
        self.path = self.where = path
        configured = mode or journal_mode()
        if os.path.isfile(path) and os.path.getsize(path) == 0:
            raise StoreError(
                f"{path} is empty (0 bytes): a damaged or unfinished copy, not a database. Restore the "
                "latest backup, or delete the file to start a new, empty database."
            )
        if configured is None and not os.path.isfile(path):
            configured = "WAL"  # a new database
        if configured is not None and configured.upper() not in JOURNAL_MODES:
            raise StoreError(f"journal mode {configured} is not one of {', '.join(JOURNAL_MODES)}.")
        conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self.db = sqlite_utils.Database(conn)
        self.lock = threading.RLock()
        try:
            self._pragmas(configured)
            self._check()
        except sqlite3.DatabaseError as error:
            conn.close()
            raise StoreError(
                f"{path} cannot be opened ({error}). Restore the latest backup "
                "(python -m evaluation.listening backup makes them)."
            ) from error
        except StoreError:
            conn.close()
            raise

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

    @contextmanager
    def transaction(self) -> Iterator[Handle]:
        """One committed unit: BEGIN IMMEDIATE … COMMIT under the process lock."""
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield Handle(self.db.conn, execute=self.db.execute)
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

    def query(self, sql: str, params=()) -> list[dict]:
        with self.lock:
            return list(self.db.query(sql, params))

    def table_names(self) -> set[str]:
        with self.lock:
            return set(self.db.table_names())

    def columns(self, table: str) -> set[str]:
        with self.lock:
            return {c.name for c in self.db[table].columns}

    def schema_version(self) -> int:
        with self.lock:
            return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def set_schema_version(self, h: Handle, version: int) -> None:
        h.execute(f"PRAGMA user_version={int(version)}")

    def create(self) -> None:
        """A new database's tables and indexes (sqlite-utils writes the tables' SQL); none when another
        process made them since the caller looked (BEGIN IMMEDIATE waits for it)."""
        with self.transaction() as h:
            if self.db.table_names():
                return
            for table in schema.TABLES:
                self.db[table.name].create(table.columns, pk=table.pk, foreign_keys=list(table.foreign_keys))
            for index in (*schema.INDEXES, *schema.INDEXES_1):
                h.execute(index.sql())
            self.set_schema_version(h, schema.SCHEMA_VERSION)

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


def safe_url(url: str, *, mask: str = ":***") -> str:
    """The URL without its password (in the address or as ``?password=``), for messages and logs; ``mask``
    stands in its place."""
    parts = urlsplit(url)
    query = "&".join(p for p in parts.query.split("&") if p and not p.lower().startswith("password="))
    parts = parts._replace(query=query)
    if parts.password is not None:
        user, host = parts.netloc.rsplit("@", 1)
        parts = parts._replace(netloc=user.split(":", 1)[0] + mask + "@" + host)
    return urlunsplit(parts)


class PostgresDatabase:
    """A PostgreSQL database: a pool of up to SONGBRIDGE_DATABASE_POOL connections per process. The
    schema lives in the connection's default schema (``?options=-csearch_path=…`` picks another)."""

    dialect = "postgresql"

    def __init__(self, url: str) -> None:
        if psycopg is None:
            raise StoreError("SONGBRIDGE_DATABASE_URL names PostgreSQL, but psycopg is not installed.")
        from psycopg_pool import ConnectionPool, PoolTimeout

        self.url, self.where, self.mode = url, safe_url(url), None
        try:  # one plain connection first: the server's own reason, at once, rather than a pool timeout
            psycopg.connect(url, connect_timeout=10).close()
        except psycopg.Error as error:
            raise StoreError(
                f"cannot connect to {self.where} ({str(error).strip()[:300]}): is the server running, and "
                "does the database exist (createdb)? Check SONGBRIDGE_DATABASE_URL."
            ) from None
        self.pool = ConnectionPool(
            url, min_size=1, max_size=settings.database_pool(), open=False, name="songbridge",
            kwargs={"autocommit": True, "application_name": "songbridge"},
            check=ConnectionPool.check_connection,  # a server restart leaves dead connections behind
        )  # fmt: skip
        try:
            self.pool.open(wait=True, timeout=15)
        except PoolTimeout as error:
            self.pool.close()
            raise StoreError(
                f"cannot connect to {self.where}: is the server running, and does the database exist "
                "(createdb)? Check SONGBRIDGE_DATABASE_URL."
            ) from error

    @contextmanager
    def transaction(self) -> Iterator[Handle]:
        with self.pool.connection() as conn, conn.transaction():
            yield PostgresHandle(conn)

    def query(self, sql: str, params=()) -> list[dict]:
        with self.pool.connection() as conn:
            return PostgresHandle(conn).query(sql, params)

    def table_names(self) -> set[str]:
        rows = self.query("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        return {r["tablename"] for r in rows}

    def columns(self, table: str) -> set[str]:
        rows = self.query(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = ?",
            (table,),
        )
        return {r["column_name"] for r in rows}

    def schema_version(self) -> int:
        if "meta" not in self.table_names():
            return 0
        rows = self.query("SELECT value FROM meta WHERE key = 'schema_version'")
        return int(rows[0]["value"]) if rows else 0

    def set_schema_version(self, h: Handle, version: int) -> None:
        h.execute(
            "INSERT INTO meta (key, value) VALUES ('schema_version', ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [str(int(version))],
        )

    def create(self) -> None:
        """A new database's tables and indexes. Two replicas starting at once on an empty database: the
        advisory lock lets one create, and the other finds the tables made."""
        with self.transaction() as h:
            h.execute("SELECT pg_advisory_xact_lock(hashtext('songbridge schema'))")
            if "studies" in {r[0] for r in h.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            ).fetchall()}:  # fmt: skip
                return
            for statement in schema.postgres_ddl():
                h.execute(statement)
            self.set_schema_version(h, schema.SCHEMA_VERSION)

    def backup(self, *, dest: str) -> str:
        """``pg_dump --format=custom`` of the database (restore with ``pg_restore``)."""
        tool = shutil.which("pg_dump")
        if tool is None:
            raise StoreError(
                "pg_dump is not installed (Debian: apt-get install postgresql-client); "
                f"back up {self.where} with your PostgreSQL tools."
            )
        os.makedirs(os.path.dirname(os.path.abspath(dest)), exist_ok=True)
        # the password goes by the environment, not the command line (which `ps` shows every local user)
        parts = urlsplit(self.url)
        password = (
            unquote(parts.password) if parts.password else parse_qs(parts.query).get("password", [None])[0]
        )
        env = settings.child_environment(**({"PGPASSWORD": password} if password else {}))
        done = subprocess.run(
            [tool, "--format=custom", "--file", dest, "--dbname", safe_url(self.url, mask="")],
            capture_output=True, text=True, env=env,
        )  # fmt: skip
        if done.returncode != 0:
            raise StoreError(f"pg_dump of {self.where} failed: {done.stderr.strip()[:300]}")
        return dest

    def close(self) -> None:
        self.pool.close()


def journal_mode() -> str | None:
    """The configured journal mode (SONGBRIDGE_JOURNAL_MODE), checked; None when it is not set."""
    mode = settings.journal_mode()
    if mode is not None and mode not in JOURNAL_MODES:
        raise StoreError(f"SONGBRIDGE_JOURNAL_MODE={mode} is not one of {', '.join(JOURNAL_MODES)}.")
    return mode
