"""The study database refuses what is not a whole Songbridge database, and upgrades an older one."""

import sqlite3

import pytest

from evaluation.listening.store import DB_NAME, NEW_IN_1, SCHEMA_VERSION, Store, StoreError


def test_a_zero_byte_database_is_refused_not_silently_replaced(tmp_path):
    (tmp_path / DB_NAME).write_bytes(b"")
    with pytest.raises(StoreError, match="empty"):
        Store(root=str(tmp_path))
    assert (tmp_path / DB_NAME).stat().st_size == 0  # left as found


def test_another_programs_database_is_refused(tmp_path):
    conn = sqlite3.connect(tmp_path / DB_NAME)
    conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="another program"):
        Store(root=str(tmp_path))
    conn = sqlite3.connect(tmp_path / DB_NAME)
    assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")] == ["invoices"]


def test_a_database_with_a_dropped_table_is_refused(tmp_path):
    Store(root=str(tmp_path)).close()
    conn = sqlite3.connect(tmp_path / DB_NAME)
    conn.execute("DROP TABLE play_events")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="play_events"):
        Store(root=str(tmp_path))


def test_a_database_of_the_first_schema_gains_the_new_columns(tmp_path):
    Store(root=str(tmp_path)).close()
    conn = sqlite3.connect(tmp_path / DB_NAME)  # back to the schema before addresses and external ids
    conn.execute("DROP INDEX participants_external")
    conn.execute("DROP INDEX idx_participants_study_id_address_created_at")
    conn.execute("ALTER TABLE participants DROP COLUMN address")
    for column in ("external_id", "headphone_score", "headphone_attempts"):
        conn.execute(f"ALTER TABLE participants DROP COLUMN {column}")
    conn.execute("DROP TABLE meta")
    conn.execute("PRAGMA user_version=0")
    conn.commit()
    conn.close()
    store = Store(root=str(tmp_path))
    assert set(NEW_IN_1) <= {c.name for c in store.db["participants"].columns}
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert len(store.address_key()) == 32 and store.address_key() == store.address_key()
