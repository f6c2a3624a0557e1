"""Abuse of a running study (issue 22): many participants from one address, recruiting-platform ids,
study files built to exhaust memory."""

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from evaluation.listening.__main__ import main
from evaluation.listening.routes import build_router
from evaluation.listening.service import ListeningService
from evaluation.listening.store import Store
from evaluation.listening.study import StudyError, load_study
from evaluation.listening.synthetic import write_folder, write_study
from tests.listening_server import ITEMS, PROFILE, SYSTEMS, Clock, answer_first_trial

API = "/listening/api"
pytestmark = pytest.mark.usefixtures("database")  # each test on SQLite and on PostgreSQL


def _site(tmp_path, monkeypatch, **participants):
    folder = write_folder(root=str(tmp_path / "layout"), systems=SYSTEMS, items=ITEMS, seconds=0.3)
    study = write_study(
        path=str(tmp_path / "s.yaml"), folder=folder, systems=SYSTEMS, items=ITEMS, trials=2, catch_rate=0.0,
        **({"participants": participants} if participants else {}),
    )  # fmt: skip
    data = str(tmp_path / "data")
    assert main(["--data-dir", data, "init", study]) == 0
    monkeypatch.setenv("SONGBRIDGE_PROXY_HOPS", "1")  # as behind a Space's proxy
    clock = Clock()
    service = ListeningService(store=Store(root=data), clock=clock)
    app = FastAPI()
    app.include_router(build_router(service=service))
    return TestClient(app), service, clock


def _session(client, address: str, **params):
    return client.post(
        f"{API}/session", json={"study": "demo", "params": params}, headers={"X-Forwarded-For": address}
    )


def test_new_participants_per_address_are_capped_per_hour(tmp_path, monkeypatch):
    client, service, clock = _site(tmp_path, monkeypatch)  # the default cap: 5 an hour
    assert all(_session(client, "203.0.113.7").status_code == 200 for _ in range(5))
    refused = _session(client, "203.0.113.7")
    assert refused.status_code == 429 and "your network" in refused.json()["error"]
    assert int(refused.headers["retry-after"]) > 3000
    assert _session(client, "198.51.100.2").status_code == 200  # another address is not held back
    # a client cannot dodge the cap by writing its own X-Forwarded-For: only the proxy's entry counts
    spoofed = client.post(
        f"{API}/session", json={"study": "demo"}, headers={"X-Forwarded-For": "10.9.9.9, 203.0.113.7"}
    )
    assert spoofed.status_code == 429
    clock.advance(3601)
    assert _session(client, "203.0.113.7").status_code == 200
    # addresses are kept only as keyed hashes
    stored = {r["address"] for r in service.store.query("SELECT address FROM participants")}
    assert "203.0.113.7" not in stored and len(stored) == 2


def test_an_external_id_takes_part_once_and_is_sent_back_with_its_code(tmp_path, monkeypatch):
    client, service, clock = _site(
        tmp_path, monkeypatch, external_id="PROLIFIC_PID",
        completion_url="https://app.prolific.com/submissions/complete?cc={code}",
    )  # fmt: skip
    token = _session(client, "203.0.113.7", PROLIFIC_PID="5f1a").json()["token"]
    again = _session(client, "198.51.100.2", PROLIFIC_PID="5f1a").json()["token"]
    assert again == token  # a reload, or another device: the same session resumes
    assert _session(client, "203.0.113.7", PROLIFIC_PID="other").json()["token"] != token
    service.consent(token=token, profile=PROFILE)
    while service.state(token=token)["next"] is not None:
        answer_first_trial(service, clock, token, "A")
    state = service.state(token=token)
    assert state["code"] and state["completion_url"].endswith(f"cc={state['code']}")
    finished = _session(client, "192.0.2.1", PROLIFIC_PID="5f1a")
    assert finished.status_code == 409 and "already taken part" in finished.json()["error"]


def test_a_yaml_alias_bomb_is_refused_before_it_expands(tmp_path):
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for k in range(8):  # 9**9 strings if expanded
        prev, name = chr(97 + k), chr(98 + k)
        lines.append(f"{name}: &{name} [{', '.join(['*' + prev] * 9)}]")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(StudyError, match="aliases"):
        load_study(path=str(path))


@pytest.mark.parametrize("bad", ['"demo\\n"', '"demo\\n\\n"', '"de mo"'])
def test_a_study_id_with_a_trailing_newline_is_refused(tmp_path, bad):
    path = tmp_path / "s.yaml"
    path.write_text(f"id: {bad}\n")
    with pytest.raises(StudyError, match="id: "):
        load_study(path=str(path))


def test_init_replace_while_the_app_serves_the_study_is_picked_up(tmp_path, monkeypatch):
    """The red team's defect 8: after ``init --replace`` in another process every new consent failed
    (stale clip names) and the page showed the old questions, until a restart."""
    _client, service, clock = _site(tmp_path, monkeypatch)
    old = service.start(study_id="demo")
    service.consent(token=old, profile=PROFILE)  # the app now caches the study's settings and clips
    folder = str(tmp_path / "layout")
    reworded = write_study(
        path=str(tmp_path / "s2.yaml"), folder=folder, systems=SYSTEMS, items=ITEMS, trials=2, catch_rate=0.0,
        attributes={"naturalness": "Which clip sounds more like a person singing?"},
    )  # fmt: skip
    assert main(["--data-dir", str(tmp_path / "data"), "init", reworded, "--replace"]) == 0
    fresh = service.start(study_id="demo")
    service.consent(token=fresh, profile=PROFILE)
    state = service.state(token=fresh)
    assert list(state["study"]["attributes"]) == ["naturalness"] and state["next"] is not None
    answer_first_trial(service, clock, fresh, "B")
    with pytest.raises(Exception, match="Unknown participant"):
        service.state(token=old)  # the old version's link starts afresh (the page does so on a 403)


def test_a_storage_failure_is_a_json_503_that_says_nothing_was_lost(tmp_path, monkeypatch, database):
    """A read-only or full data folder gave a plain-text 500 (and the page, whose play reports had failed
    silently, then asked to replay clip A); on PostgreSQL, a server gone away."""
    import sqlite3
    from contextlib import contextmanager

    import psycopg

    failure = (
        sqlite3.OperationalError("attempt to write a readonly database")
        if database == "sqlite"
        else psycopg.OperationalError("server closed the connection unexpectedly")
    )

    client, service, clock = _site(tmp_path, monkeypatch)
    token = _session(client, "203.0.113.7").json()["token"]
    assert client.post(f"{API}/consent", json={"token": token, "profile": PROFILE}).status_code == 200
    trial = client.get(f"{API}/state", params={"token": token}).json()["next"]["trial_id"]
    for event in ("play", "ended"):  # clips heard while the storage still worked
        for slot in ("A", "B"):
            service.event(token=token, trial_id=trial, slot=slot, event=event)
        clock.advance(1.0)
    values = dict.fromkeys(service.config(study_id="demo")["attributes"], "A")

    @contextmanager
    def read_only():
        raise failure
        yield

    monkeypatch.setattr(service.store, "transaction", read_only)
    for path, body in (
        ("/event", {"token": token, "trial_id": trial, "slot": "A", "event": "play"}),
        ("/answer", {"token": token, "trial_id": trial, "values": values}),
        ("/session", {"study": "demo"}),
    ):
        refused = client.post(API + path, json=body, headers={"X-Forwarded-For": "198.51.100.9"})
        assert refused.status_code == 503, path
        assert "Nothing you already answered is lost" in refused.json()["error"]
        assert refused.headers["retry-after"] == "60"


def _quietest(wav: bytes, *, loudspeakers: bool) -> str:
    """What a listener picks: on headphones each ear hears its channel; from loudspeakers the air sums them."""
    import io

    import numpy as np
    import soundfile

    from evaluation.listening import headphones as hp

    x, sr = soundfile.read(io.BytesIO(wav))
    step = int((hp.TONE_S + hp.GAP_S) * sr)
    heard = x.sum(axis=1) if loudspeakers else x[:, 0]
    levels = [np.sqrt(np.mean(heard[k * step : k * step + int(hp.TONE_S * sr)] ** 2)) for k in range(3)]
    return str(int(np.argmin(levels)) + 1)


@pytest.mark.parametrize("loudspeakers", [False, True])
def test_the_headphone_check_passes_headphones_and_stops_loudspeakers(tmp_path, monkeypatch, loudspeakers):
    client, service, clock = _site(tmp_path, monkeypatch, headphone_check=True)
    token = _session(client, "203.0.113.7").json()["token"]
    assert client.post(f"{API}/consent", json={"token": token, "profile": PROFILE}).status_code == 200
    for attempt in (1, 2):
        state = client.get(f"{API}/state", params={"token": token}).json()
        check = state["headphones"]
        assert check["status"] == "pending" and check["attempt"] == attempt and state["next"] is None
        trial = service.store.query("SELECT id FROM trials WHERE participant = ? LIMIT 1", (token,))[0]["id"]
        assert client.get(f"{API}/stimulus/{trial}/a", params={"token": token}).status_code == 404
        picks = [_quietest(client.get(url).content, loudspeakers=loudspeakers) for url in check["clips"]]
        result = client.post(f"{API}/headphones", json={"token": token, "answers": picks}).json()
        if not loudspeakers:
            assert result == {"status": "passed", "score": 6}
            break
    state = client.get(f"{API}/state", params={"token": token}).json()
    if loudspeakers:  # the antiphase tone sounded quietest every time: stopped after two attempts
        assert state["headphones"] == {"status": "failed", "score": 0} and state["next"] is None
        assert (
            client.post(f"{API}/headphones", json={"token": token, "answers": ["1"] * 6}).status_code == 409
        )
    else:
        assert state["next"] is not None
        answer_first_trial(service, clock, token, "A")


def test_vote_stuffing_from_one_address_is_capped_and_screened_and_the_honest_result_stands(
    tmp_path, monkeypatch
):
    """The red team's stuffing (20 scripted participants from one address reversed a 10-listener study):
    the address cap lets 5 in, and the network gate of `analyze` screens those out."""
    from evaluation.listening.analysis import analyze
    from evaluation.listening.export import answers_frame, participants_frame

    client, service, clock = _site(tmp_path, monkeypatch)
    rank = {"sysA": 0, "sysB": 1, "sysC": 2}  # honest taste: A over B over C

    def take_part(address: str, prefers_best: bool) -> bool:
        started = _session(client, address)
        if started.status_code != 200:
            return False
        token = started.json()["token"]
        assert client.post(f"{API}/consent", json={"token": token, "profile": PROFILE}).status_code == 200
        while (nxt := service.state(token=token)["next"]) is not None:
            row = service.store.query(
                "SELECT system_a, system_b FROM trials WHERE id = ?", (nxt["trial_id"],)
            )[0]
            better = "A" if rank[row["system_a"]] < rank[row["system_b"]] else "B"
            choice = better if prefers_best else ("B" if better == "A" else "A")
            if row["system_a"] == row["system_b"]:
                choice = "tie"
            answer_first_trial(service, clock, token, choice)  # plays both clips to the end, as bots do
        return True

    honest = sum(take_part(f"198.51.100.{k}", prefers_best=True) for k in range(10))
    bots = sum(take_part("203.0.113.66", prefers_best=False) for _ in range(20))
    assert honest == 10 and bots == 5  # the address cap: 5 new participants an hour
    answers = answers_frame(store=service.store, study_id="demo")
    result = analyze(
        answers=answers, study_type="preference", rules=service.config(study_id="demo")["screening"],
        resamples=50, participants=participants_frame(store=service.store, study_id="demo"),
    )  # fmt: skip
    screened = result.screening.set_index("participant")
    assert screened["screened_out"].sum() == 5
    assert (screened.loc[screened["screened_out"], "reasons"] == "many listeners from one network").all()
    gates = dict(zip(result.gates["gate"], result.gates["listeners"], strict=True))
    assert gates["many listeners from one network"] == 5 and gates["kept"] == 10
    kept = result.kept["preference"]
    # every pair's decisive votes go to the better system among the kept listeners
    for row in kept.itertuples():
        better_is_x = rank[row.system_x] < rank[row.system_y]
        assert (row.x_of_decisive == 1.0) if better_is_x else (row.x_of_decisive == 0.0)


def test_a_huge_request_body_is_refused_before_it_is_read_whole(tmp_path, monkeypatch):
    from evaluation.listening.routes import MAX_BODY_BYTES

    client, service, _clock = _site(tmp_path, monkeypatch)
    token = _session(client, "203.0.113.7").json()["token"]
    huge = {"token": token, "profile": {"headphones": "x" * (4 * MAX_BODY_BYTES)}}
    refused = client.post(f"{API}/consent", json=huge)
    assert refused.status_code == 413 and "KB" in refused.json()["error"]

    def chunks():  # no Content-Length: the body is counted as it arrives
        yield b'{"token": "' + token.encode() + b'", "padding": "'
        for _ in range(8):
            yield b"x" * MAX_BODY_BYTES
        yield b'"}'

    assert client.post(f"{API}/consent", content=chunks()).status_code == 413
    assert service.state(token=token)["consented"] is False  # nothing was taken from either
    assert client.post(f"{API}/consent", json={"token": token, "profile": PROFILE}).status_code == 200


def test_a_session_replaced_between_reading_and_writing_is_a_404_not_a_500(tmp_path, monkeypatch):
    """The split service's close reading: consent read the participant, then wrote in a transaction that
    assumed the row was still there; an `init --replace` in between (which deletes the study's sessions)
    crashed it with a 500."""
    from evaluation.listening import sessions
    from evaluation.listening.service import ListeningError

    _client, service, _clock = _site(tmp_path, monkeypatch)
    token = service.start(study_id="demo")
    read = sessions.participant

    def read_then_replaced(store, token):
        row = read(store, token)
        with store.transaction() as db:  # what init --replace does once the row has been read
            db.execute("DELETE FROM participants WHERE study_id = 'demo'")
        return row

    monkeypatch.setattr(sessions, "participant", read_then_replaced)
    with pytest.raises(ListeningError, match="no longer running") as refused:
        service.consent(token=token, profile=PROFILE)
    assert refused.value.status == 404
