"""The listening store's tables and indexes, written once for both databases: SQLite creates them through
sqlite-utils (as it always has), PostgreSQL from :func:`postgres_ddl`. A column's Python type decides its
SQL type; an ``id`` primary key of ``int`` numbers itself."""

from __future__ import annotations

from dataclasses import dataclass

#: the current schema; SQLite records it in PRAGMA user_version, PostgreSQL in ``meta``
SCHEMA_VERSION = 1
#: the participants' columns schema 1 added (a schema-0 SQLite database gains them)
NEW_IN_1 = {
    "address": "TEXT",
    "external_id": "TEXT",
    "headphone_score": "INTEGER",
    "headphone_attempts": "INTEGER",
}


@dataclass(frozen=True)
class Table:
    name: str
    columns: dict[str, type]
    pk: str
    foreign_keys: tuple[tuple[str, str, str], ...] = ()  # (column, other table, other column)


TABLES = (
    Table(
        "studies",
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
    ),
    Table(
        "stimuli",
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
        foreign_keys=(("study_id", "studies", "id"),),
    ),
    Table(
        "participants",
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
        foreign_keys=(("study_id", "studies", "id"),),
    ),
    Table(
        "trials",
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
        foreign_keys=(
            ("participant", "participants", "token"),
            ("study_id", "studies", "id"),
            ("stimulus_a", "stimuli", "name"),
            ("stimulus_b", "stimuli", "name"),
        ),
    ),
    Table(
        "answers",
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
        foreign_keys=(
            ("trial_id", "trials", "id"),
            ("participant", "participants", "token"),
            ("study_id", "studies", "id"),
        ),
    ),
    Table(
        "play_events",
        {"id": int, "trial_id": int, "participant": str, "slot": str, "event": str, "at": float},
        pk="id",
        foreign_keys=(("trial_id", "trials", "id"), ("participant", "participants", "token")),
    ),
    Table("meta", {"key": str, "value": str}, pk="key"),
)
TABLE_NAMES = tuple(t.name for t in TABLES)
PRIMARY_KEYS = {t.name: t.pk for t in TABLES}


@dataclass(frozen=True)
class Index:
    table: str
    columns: tuple[str, ...]
    unique: bool = False
    where: str = ""
    named: str = ""  # sqlite-utils' name (idx_<table>_<columns>) unless given

    @property
    def name(self) -> str:
        return self.named or f"idx_{self.table}_{'_'.join(self.columns)}"

    def sql(self) -> str:
        unique = "UNIQUE " if self.unique else ""
        where = f" WHERE {self.where}" if self.where else ""
        return f"CREATE {unique}INDEX IF NOT EXISTS {self.name} ON {self.table} ({', '.join(self.columns)}){where}"


INDEXES = (
    Index("trials", ("participant", "position"), unique=True),
    Index("trials", ("study_id",)),
    Index("answers", ("trial_id", "attribute"), unique=True),
    Index("answers", ("study_id",)),
    Index("play_events", ("trial_id", "slot")),
    Index("participants", ("study_id", "seq")),
    Index("stimuli", ("study_id", "item", "system")),
)
#: added by schema 1
INDEXES_1 = (
    Index("participants", ("study_id", "address", "created_at")),
    Index(
        "participants",
        ("study_id", "external_id"),
        unique=True,
        where="external_id IS NOT NULL",
        named="participants_external",
    ),
)

POSTGRES_TYPES = {str: "TEXT", int: "BIGINT", float: "DOUBLE PRECISION"}  # REAL would round timestamps


def postgres_ddl() -> list[str]:
    """CREATE statements for a new PostgreSQL schema, tables in dependency order."""
    statements = []
    for table in TABLES:
        lines = []
        for column, kind in table.columns.items():
            if column == table.pk and kind is int:
                lines.append(f"{column} BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")
            else:
                lines.append(
                    f"{column} {POSTGRES_TYPES[kind]}" + (" PRIMARY KEY" if column == table.pk else "")
                )
        lines += [f"FOREIGN KEY ({c}) REFERENCES {other} ({o})" for c, other, o in table.foreign_keys]
        statements.append(f"CREATE TABLE {table.name} (\n  " + ",\n  ".join(lines) + "\n)")
    return statements + [index.sql() for index in (*INDEXES, *INDEXES_1)]
