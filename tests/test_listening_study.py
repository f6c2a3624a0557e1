"""Study files are validated key by key; the store opens with the chosen journal mode and backs up."""

import sqlite3

import pytest

from evaluation.listening.__main__ import main
from evaluation.listening.store import Store, StoreError
from evaluation.listening.study import StudyError, load_study, parse_study

GOOD = {
    "id": "pref-1",
    "title": "Test",
    "type": "preference",
    "systems": ["a", "b", "c"],
    "items": ["x", "y"],
    "trials_per_listener": 6,
    "stimuli": {"folder": "."},
}


def test_a_good_study_gets_defaults_and_a_stable_hash(tmp_path):
    study = parse_study(data=GOOD, base_dir=str(tmp_path))
    assert list(study.attributes) == ["intelligibility", "naturalness", "melody", "speaker"]
    assert study.pairs == [("a", "b"), ("a", "c"), ("b", "c")]
    assert study.hash == parse_study(data=dict(GOOD), base_dir=str(tmp_path)).hash
    assert study.hash != parse_study(data={**GOOD, "catch_rate": 0.2}, base_dir=str(tmp_path)).hash


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"type": "ab"}, "type: 'ab' is not 'preference', 'mos' or 'arena'"),
        ({"trials_per_listener": "ten"}, "trials_per_listener: must be a positive whole number"),
        ({"trials_per_listener": 7}, "trials_per_listener: 7 is more than the 6"),
        ({"catch_rate": 0.9}, "catch_rate: 0.9 is outside"),
        ({"systems": ["a"]}, "systems: a preference study compares at least two"),
        ({"stimuli": {"folder": "nowhere"}}, "stimuli.folder: "),
        ({"colour": 1}, "colour: unknown key"),
        ({"screening": {"max_wrong": 1}}, "screening.max_wrong: unknown rule"),
        ({"attributes": {"naturalness": ""}}, "attributes.naturalness: the question text is missing"),
        ({"id": "Bad Id"}, "id: 'Bad Id' must be"),
        ({"seed": -1}, "seed: -1 is negative"),
        ({"type": "mos", "systems": []}, "systems: name at least one system"),
        ({"systems": []}, "systems: a preference study compares at least two"),
        ({"screening": {"max_failed_catch": "1"}}, "screening.max_failed_catch: must be a whole number"),
        ({"screening": {"max_failed_catch": -1}}, "screening.max_failed_catch: must be a whole number"),
        ({"screening": {"flag_straight_lining": "no"}}, "screening.flag_straight_lining: must be true"),
        ({"screening": {"min_listen_ratio": "1"}}, "screening.min_listen_ratio: must be a number"),
        ({"screening": {"min_listen_ratio": True}}, "screening.min_listen_ratio: must be a number"),
        ({"screening": {1: 2, "x": 3}}, "screening.1: unknown rule"),
    ],
)
def test_each_bad_key_is_named_with_what_is_wrong(tmp_path, change, message):
    with pytest.raises(StudyError, match=message.replace("(", r"\(")):
        parse_study(data={**GOOD, **change}, base_dir=str(tmp_path))


def test_missing_keys_and_bad_yaml_are_sentences(tmp_path):
    with pytest.raises(StudyError, match=r"title: missing.*systems: missing"):
        parse_study(data={"id": "x", "type": "mos", "stimuli": {"folder": "."}}, base_dir=str(tmp_path))
    bad = tmp_path / "s.yaml"
    bad.write_text("id: [unclosed\n")
    with pytest.raises(StudyError, match="not valid YAML at line"):
        load_study(path=str(bad))
    with pytest.raises(StudyError, match="Cannot read"):
        load_study(path=str(tmp_path / "none.yaml"))


def test_generate_block_needs_a_converter_per_system_and_existing_files(tmp_path):
    data = {**GOOD, "systems": ["world-sts", "x"]}
    data["stimuli"] = {"generate": {"converters": {"world-sts": {}}, "items": {"x": {"source": "no.wav"}}}}
    with pytest.raises(
        StudyError, match=r"items.x.source: .*does not exist; .*no converter given for system.s. x"
    ):
        parse_study(data=data, base_dir=str(tmp_path))


@pytest.mark.parametrize("mode", ["WAL", "DELETE"])
def test_store_uses_the_journal_mode_and_backs_up_online(tmp_path, mode):
    store = Store(root=str(tmp_path / "d"), mode=mode)
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0].upper() == mode
    assert store.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert {"studies", "stimuli", "participants", "trials", "answers", "play_events"} <= set(
        store.db.table_names()
    )
    store.db["studies"].insert({"id": "s", "title": "t", "type": "mos", "hash": "h", "status": "open"})
    copy = store.backup(dest=str(tmp_path / "b" / "copy.sqlite"))
    assert sqlite3.connect(copy).execute("SELECT id FROM studies").fetchall() == [("s",)]
    with pytest.raises(sqlite3.IntegrityError):  # foreign keys are enforced
        store.db["participants"].insert({"token": "t", "study_id": "nope", "seq": 0})
    store.close()


def test_a_damaged_database_is_refused_at_start(tmp_path):
    path = tmp_path / "listening.sqlite"
    path.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    with pytest.raises(StoreError, match="Restore the latest backup"):
        Store(root=str(tmp_path), mode="DELETE")


def test_a_database_keeps_its_journal_mode_unless_one_is_configured(tmp_path, monkeypatch):
    monkeypatch.delenv("SONGBRIDGE_JOURNAL_MODE", raising=False)
    mode = lambda store: store.db.execute("PRAGMA journal_mode").fetchone()[0].upper()  # noqa: E731
    assert mode(Store(root=str(tmp_path / "new"))) == "WAL"  # a new database starts in WAL
    Store(root=str(tmp_path / "d"), mode="DELETE").close()  # network storage: set once, by the app
    store = Store(root=str(tmp_path / "d"))  # the CLI, run without SONGBRIDGE_JOURNAL_MODE
    assert mode(store) == "DELETE" and store.mode == "DELETE"
    store.close()
    assert main(["--data-dir", str(tmp_path / "d"), "status"]) == 0
    assert mode(Store(root=str(tmp_path / "d"))) == "DELETE"
    monkeypatch.setenv("SONGBRIDGE_JOURNAL_MODE", "WAL")  # configured: switched
    assert mode(Store(root=str(tmp_path / "d"))) == "WAL"


def test_a_failed_commit_leaves_no_transaction_open(tmp_path, monkeypatch):
    store = Store(root=str(tmp_path))
    execute = store.db.execute

    def busy_commit(sql, *args):
        if sql == "COMMIT":
            raise sqlite3.OperationalError("database is locked")
        return execute(sql, *args)

    monkeypatch.setattr(store.db, "execute", busy_commit)
    with pytest.raises(sqlite3.OperationalError, match="locked"), store.transaction() as db:
        db.insert("studies", {"id": "s", "title": "t", "type": "mos", "hash": "h", "status": "open"})
    assert not store.db.conn.in_transaction
    monkeypatch.setattr(store.db, "execute", execute)
    with store.transaction() as db:  # the shared connection still works
        db.insert("studies", {"id": "s2", "title": "t", "type": "mos", "hash": "h", "status": "open"})
    assert [r["id"] for r in store.query("SELECT id FROM studies")] == ["s2"]
