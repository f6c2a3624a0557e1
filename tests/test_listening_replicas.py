"""The store's integrity rules when several app replicas share one database (two Stores on it, threads
released together): no balanced slot is handed out twice, a resubmission racing the first submission is
stored once; on SQLite and on a real PostgreSQL server. And PostgreSQL's own ways in: the schema made
once by replicas starting together, a foreign or newer database refused, the same tables for export and
analysis as SQLite gives."""

import threading
import uuid

import pandas as pd
import pytest

from evaluation.listening.__main__ import main
from evaluation.listening.analysis import analyze
from evaluation.listening.assign import plan_listener
from evaluation.listening.export import answers_frame, participants_frame, progress_by_listener, studies
from evaluation.listening.service import ListeningService
from evaluation.listening.store import SCHEMA_VERSION, Store, StoreError
from tests.listening_server import PROFILE, Clock, make_study


def together(jobs) -> list:
    """Run every job in its own thread, released at once; the results (or raised errors) in order."""
    barrier, results = threading.Barrier(len(jobs)), [None] * len(jobs)

    def run(k):
        barrier.wait()
        try:
            results[k] = jobs[k]()
        except Exception as error:
            results[k] = error

    threads = [threading.Thread(target=run, args=(k,)) for k in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def replicas(data: str, clock: Clock, n: int = 2) -> list[ListeningService]:
    return [ListeningService(store=Store(root=data), clock=clock) for _ in range(n)]


def test_consents_at_once_on_two_replicas_take_every_balanced_slot_once(tmp_path, database):
    data, clock = make_study(tmp_path), Clock()
    apps = replicas(data, clock)
    n = 24
    tokens = [apps[k % 2].start(study_id="demo") for k in range(n)]
    results = together([lambda k=k: apps[k % 2].consent(token=tokens[k], profile=PROFILE) for k in range(n)])
    assert results == [None] * n
    store = apps[0].store
    seqs = {r["token"]: r["seq"] for r in store.query("SELECT token, seq FROM participants")}
    assert sorted(seqs.values()) == list(range(n))  # every slot of the cycle once
    assert store.query("SELECT listeners FROM studies WHERE id = 'demo'")[0]["listeners"] == n
    cfg = apps[0].config(study_id="demo")
    for token in tokens:  # and each listener's trials are those of their slot
        planned = plan_listener(
            kind=cfg["type"], items=cfg["items"], systems=cfg["systems"], seed=cfg["seed"], seq=seqs[token],
            trials=cfg["trials"], catch_rate=cfg["catch_rate"],
        )  # fmt: skip
        stored = store.query(
            "SELECT item, system_a, system_b FROM trials WHERE participant = ? ORDER BY position", (token,)
        )
        assert [(r["item"], r["system_a"], r["system_b"]) for r in stored] == [
            (t.item, t.system_a, t.system_b) for t in planned
        ]


def test_an_answer_sent_to_two_replicas_at_once_is_stored_once(tmp_path, database):
    data, clock = make_study(tmp_path), Clock()
    apps = replicas(data, clock)
    attributes = apps[0].config(study_id="demo")["attributes"]
    for _ in range(6):
        token = apps[0].start(study_id="demo")
        apps[1].consent(token=token, profile=PROFILE)
        trial = apps[0].state(token=token)["next"]["trial_id"]
        for event in ("play", "ended"):
            for slot in ("A", "B"):
                apps[1].event(token=token, trial_id=trial, slot=slot, event=event)
            clock.advance(1.0)
        request = {"token": token, "trial_id": trial, "values": dict.fromkeys(attributes, "B")}
        results = together([lambda app=app, request=request: app.answer(**request) for app in apps])
        assert sorted(r["stored"] for r in results) == [False, True], results
        assert next(r for r in results if not r["stored"])["duplicate"]
        rows = apps[0].store.query("SELECT attribute FROM answers WHERE trial_id = ?", (trial,))
        assert sorted(r["attribute"] for r in rows) == sorted(attributes)


def test_replicas_starting_on_an_empty_postgresql_database_make_the_schema_once(tmp_path, postgres):
    url = postgres.create_database(f"t{uuid.uuid4().hex[:12]}")
    stores = together([lambda: Store(root=str(tmp_path), url=url) for _ in range(4)])
    assert all(isinstance(s, Store) for s in stores), stores
    keys = {s.address_key() for s in stores}
    assert len(keys) == 1  # one secret for the database, whichever replica made it
    for s in stores:
        s.close()


def _scripted_study(data: str) -> ListeningService:
    """Three listeners answer every trial, the same way each run (the clock is the test's)."""
    clock = Clock()
    service = ListeningService(store=Store(root=data), clock=clock)
    attributes = service.config(study_id="demo")["attributes"]
    for listener in range(3):
        token = service.start(study_id="demo", address=f"198.51.100.{listener % 2}")
        service.consent(token=token, profile={**PROFILE, "musical_training": str(listener)})
        while (nxt := service.state(token=token)["next"]) is not None:
            for event in ("play", "ended"):
                for slot in ("A", "B") if nxt["b"] else ("A",):
                    service.event(token=token, trial_id=nxt["trial_id"], slot=slot, event=event)
                clock.advance(1.0)
            value = "AB"[(nxt["trial_id"] + listener) % 2]
            service.answer(token=token, trial_id=nxt["trial_id"], values=dict.fromkeys(attributes, value))
    return service


def test_export_and_analysis_read_the_same_tables_from_sqlite_and_postgresql(tmp_path, postgres, monkeypatch):
    monkeypatch.delenv("SONGBRIDGE_DATABASE_URL", raising=False)
    make_study(tmp_path)  # one study file (the study's hash covers its clips), imported into each database
    frames = {}
    for kind in ("sqlite", "postgresql"):
        if kind == "postgresql":
            monkeypatch.setenv(
                "SONGBRIDGE_DATABASE_URL", postgres.create_database(f"t{uuid.uuid4().hex[:12]}")
            )
        data = str(tmp_path / kind)
        assert main(["--data-dir", data, "init", str(tmp_path / "demo.yaml")]) == 0
        service = _scripted_study(data)
        store = service.store
        frames[kind] = {
            "answers": answers_frame(store=store, study_id="demo"),
            "participants": participants_frame(store=store, study_id="demo"),
            "listeners": progress_by_listener(store=store, study_id="demo"),
            "studies": studies(store=store),
        }
        rules = service.config(study_id="demo")["screening"]
        frames[kind]["analysis"] = analyze(
            answers=frames[kind]["answers"], study_type="preference", rules=rules, resamples=50,
            participants=frames[kind]["participants"],
        )  # fmt: skip
        store.close()
    assert len(frames["sqlite"]["answers"]) > 0
    for name in ("answers", "participants", "listeners", "studies"):  # values and dtypes
        pd.testing.assert_frame_equal(frames["sqlite"][name], frames["postgresql"][name], obj=name)
    analyses = frames["sqlite"]["analysis"], frames["postgresql"]["analysis"]
    pd.testing.assert_frame_equal(analyses[0].screening, analyses[1].screening)
    assert analyses[0].all.keys() == analyses[1].all.keys() and analyses[0].all
    for name, table in analyses[0].all.items():
        pd.testing.assert_frame_equal(table, analyses[1].all[name], obj=name)


def test_postgresql_refuses_another_programs_database_and_a_newer_schema(tmp_path, postgres):
    import psycopg

    foreign = postgres.create_database(f"t{uuid.uuid4().hex[:12]}")
    with psycopg.connect(foreign, autocommit=True) as conn:
        conn.execute("CREATE TABLE invoices (id int)")
    with pytest.raises(StoreError, match="another program's database"):
        Store(root=str(tmp_path), url=foreign)
    newer = postgres.create_database(f"t{uuid.uuid4().hex[:12]}")
    Store(root=str(tmp_path), url=newer).close()
    with psycopg.connect(newer, autocommit=True) as conn:
        conn.execute("UPDATE meta SET value = %s WHERE key = 'schema_version'", [str(SCHEMA_VERSION + 1)])
    with pytest.raises(StoreError, match="newer Songbridge"):
        Store(root=str(tmp_path), url=newer)
    with pytest.raises(StoreError, match="cannot connect"):
        Store(root=str(tmp_path), url=postgres.url("no_such_database"))
