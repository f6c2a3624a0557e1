"""The participant and admin routes over real HTTP: listening enforced, resume, idempotence, refusals."""

import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import time

import httpx
import numpy as np
import pandas as pd
import pytest
import soundfile
from fastapi import FastAPI

from evaluation.listening.routes import build_router
from evaluation.listening.service import ListeningService
from evaluation.listening.store import Store
from tests.listening_server import SYSTEMS, Clock, free_port, make_study, serve

ADMIN = "s3cret-admin"


@pytest.fixture(scope="module")
def server(tmp_path_factory, module_database):  # the routes on SQLite and on PostgreSQL
    root = tmp_path_factory.mktemp("listening")
    data = make_study(root)
    make_study(root, study_id="other")
    clock = Clock()
    service = ListeningService(store=Store(root=data), clock=clock)
    app = FastAPI()
    app.include_router(build_router(service=service))
    port = free_port()
    srv = serve(app, port)
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
        yield client, clock, service
    srv.should_exit = True


def start(client, study="demo") -> str:
    token = client.post("/listening/api/session", json={"study": study}).json()["token"]
    profile = {"headphones": "headphones", "native_language": "en", "musical_training": "3"}
    assert client.post("/listening/api/consent", json={"token": token, "profile": profile}).json() == {
        "ok": True
    }
    return token


def listen(client, clock, token, trial, slots=("A", "B"), seconds=1.05):
    for slot in slots:
        client.post(
            "/listening/api/event", json={"token": token, "trial_id": trial, "slot": slot, "event": "play"}
        )
    clock.advance(seconds)
    for slot in slots:
        client.post(
            "/listening/api/event", json={"token": token, "trial_id": trial, "slot": slot, "event": "ended"}
        )


def answer(client, token, trial, value="A"):
    values = dict.fromkeys(("intelligibility", "naturalness", "melody", "speaker"), value)
    return client.post("/listening/api/answer", json={"token": token, "trial_id": trial, "values": values})


def test_a_whole_session_gives_a_code_and_stores_positions_and_hash(server):
    client, clock, service = server
    token = client.post("/listening/api/session", json={"study": "demo"}).json()["token"]
    state = client.get("/listening/api/state", params={"token": token}).json()
    assert not state["consented"] and state["total"] == 0 and state["study"]["questions"]  # no plan yet
    refused = answer(client, token, 1)
    assert refused.status_code == 409 and "consent" in refused.json()["error"]
    missing = client.post("/listening/api/consent", json={"token": token, "profile": {"headphones": "x"}})
    assert missing.status_code == 422 and "native_language" in missing.json()["error"]
    client.post(
        "/listening/api/consent",
        json={
            "token": token,
            "profile": {"headphones": "h", "native_language": "de", "musical_training": "0"},
        },
    )
    state = client.get("/listening/api/state", params={"token": token}).json()
    assert state["consented"] and state["total"] == 1 + 4 + 1  # practice, tests, one catch
    assert state["next"]["practice"] and not any(s in str(state) for s in SYSTEMS)  # nothing names a system
    for _ in range(state["total"]):
        trial = client.get("/listening/api/state", params={"token": token}).json()["next"]["trial_id"]
        listen(client, clock, token, trial)
        result = answer(client, token, trial, value="tie").json()
        assert result["stored"]
    assert result["left"] == 0 and len(result["code"]) == 8
    final = client.get("/listening/api/state", params={"token": token}).json()
    assert final["next"] is None and final["code"] == result["code"]
    rows = service.store.query("SELECT * FROM answers WHERE participant = ?", (token,))
    assert len(rows) == 6 * 4 and {r["study_hash"] for r in rows} == {service.config(study_id="demo")["hash"]}
    assert all(r["system_a"] in SYSTEMS and r["first_played"] == "A" for r in rows)


def test_an_answer_before_both_clips_ended_is_refused(server):
    client, clock, _ = server
    token = start(client)
    trial = client.get("/listening/api/state", params={"token": token}).json()["next"]["trial_id"]
    refused = answer(client, token, trial)
    assert refused.status_code == 409 and "clip A" in refused.json()["error"]
    listen(client, clock, token, trial, slots=("A",))
    client.post(
        "/listening/api/event", json={"token": token, "trial_id": trial, "slot": "B", "event": "play"}
    )
    refused = answer(client, token, trial)
    assert refused.status_code == 409 and "clip B" in refused.json()["error"]
    # "ended" sent at once after "play": the clip cannot have been heard.
    client.post(
        "/listening/api/event", json={"token": token, "trial_id": trial, "slot": "B", "event": "ended"}
    )
    assert answer(client, token, trial).status_code == 409
    listen(client, clock, token, trial, slots=("B",))
    assert answer(client, token, trial).json()["stored"]


def test_reload_resumes_at_the_next_unanswered_trial_and_a_resubmission_is_stored_once(server):
    client, clock, service = server
    token = start(client)
    first = client.get("/listening/api/state", params={"token": token}).json()["next"]["trial_id"]
    listen(client, clock, token, first)
    assert answer(client, token, first).json()["stored"]
    again = answer(client, token, first, value="B")
    assert again.status_code == 200 and again.json() == {"stored": False, "duplicate": True}
    assert len(service.store.query("SELECT * FROM answers WHERE trial_id = ?", (first,))) == 4
    assert {
        r["value"] for r in service.store.query("SELECT value FROM answers WHERE trial_id = ?", (first,))
    } == {"A"}
    resumed = client.get("/listening/api/state", params={"token": token}).json()  # a new page load
    assert resumed["answered"] == 1 and resumed["consented"]
    positions = {t["id"]: t["position"] for t in service.store.query("SELECT id, position FROM trials")}
    assert positions[resumed["next"]["trial_id"]] == positions[first] + 1


def test_participants_reach_only_their_own_trials_and_clips(server):
    client, clock, service = server
    alice, bob = start(client), start(client)
    bob_state = client.get("/listening/api/state", params={"token": bob}).json()
    bob_trial = bob_state["next"]["trial_id"]
    listen(client, clock, bob, bob_trial)
    stolen = answer(client, alice, bob_trial)
    assert stolen.status_code == 403 and "not assigned to you" in stolen.json()["error"]
    event = client.post(
        "/listening/api/event", json={"token": alice, "trial_id": bob_trial, "slot": "A", "event": "play"}
    )
    assert event.status_code == 403
    assert client.get("/listening/api/state", params={"token": "forged"}).status_code == 403
    clip = bob_state["next"]["a"]
    assert client.get(clip).status_code == 200 and client.get(clip).headers["content-type"] == "audio/wav"
    # A clip of the study that is in nobody's trials (a hidden reference) exists on disk but is not served:
    # clips are reached by trial and slot only, never by the file's name.
    unassigned = service.store.query("SELECT name FROM stimuli WHERE kind = 'reference' LIMIT 1")[0]["name"]
    assert os.path.isfile(os.path.join(service.store.stimuli_dir("demo"), unassigned))
    assert client.get(f"/listening/api/stimulus/{unassigned}", params={"token": alice}).status_code == 404
    # Clips of another study, assigned to its own listener, are not served to this study's listener.
    other = start(client, "other")
    foreign = client.get("/listening/api/state", params={"token": other}).json()["next"]["a"]
    assert client.get(foreign).status_code == 200
    assert client.get(foreign.replace(other, alice)).status_code == 404
    assert client.get(clip.split("?")[0]).status_code == 403  # no token
    for bad in ("..%2Flistening.sqlite", "%2Fetc%2Fpasswd", "0123456789abcdef.wav", "reference", "A"):
        path = f"/listening/api/stimulus/{bob_trial}/{bad}"
        assert client.get(path, params={"token": bob}).status_code in (403, 404)
    for bad in ("x", "-1", "99999999999999999999999", "1e400"):
        assert client.get(f"/listening/api/stimulus/{bad}/a", params={"token": bob}).status_code == 404
    assert client.post("/listening/api/session", json={"study": "nope"}).status_code == 404
    assert answer(client, bob, "x").status_code == 422
    partial = client.post(
        "/listening/api/answer", json={"token": bob, "trial_id": bob_trial, "values": {"naturalness": "A"}}
    )
    assert partial.status_code == 422 and "intelligibility" in partial.json()["error"]


def test_a_catch_trials_clips_have_different_urls_that_name_neither_file_nor_system(server):
    client, clock, service = server
    token = start(client)
    names = {r["name"] for r in service.store.query("SELECT name FROM stimuli")}
    while (nxt := client.get("/listening/api/state", params={"token": token}).json()["next"]) is not None:
        kind = service.store.query("SELECT kind FROM trials WHERE id = ?", (nxt["trial_id"],))[0]["kind"]
        if kind == "catch":
            break
        listen(client, clock, token, nxt["trial_id"])
        assert answer(client, token, nxt["trial_id"]).json()["stored"]
    assert kind == "catch"
    urls = [nxt["a"], nxt["b"], nxt["source"], nxt["melody"]]
    assert len(set(urls)) == 4 and not any(n[:-4] in u for n in names for u in urls)
    assert not any(s in u for s in SYSTEMS for u in urls)
    a, b = client.get(nxt["a"]).content, client.get(nxt["b"]).content
    # an output against its twin: the same sound (differing by 1 LSB of dither), other bytes, one size
    assert a != b and len(a) == len(b)
    samples = [soundfile.read(io.BytesIO(x))[0] for x in (a, b)]
    assert np.max(np.abs(samples[0] - samples[1])) <= 3 / 32768


def test_no_header_or_byte_tells_a_system_or_a_catch_trial(server):
    """Blinding (issue 22): a participant fetches every clip of every trial; every header but the size is
    the same for all clips, no ETag or Last-Modified is sent, A and B of a trial are one size, and no
    two clips share bytes — catch trials included. Clips of a later trial are not served early."""
    client, clock, service = server
    token = start(client)
    trials = service.store.query(
        "SELECT id, kind FROM trials WHERE participant = ? ORDER BY position", (token,)
    )
    assert any(t["kind"] == "catch" for t in trials)
    later = f"/listening/api/stimulus/{trials[1]['id']}/a"
    assert client.get(later, params={"token": token}).status_code == 404  # not yet its turn
    headers, digests = [], []
    for trial in trials:
        nxt = client.get("/listening/api/state", params={"token": token}).json()["next"]
        assert nxt["trial_id"] == trial["id"]
        pair = [client.get(nxt[slot]) for slot in ("a", "b")]
        assert pair[0].headers["content-length"] == pair[1].headers["content-length"]
        for response in pair:
            assert response.status_code == 200
            assert "etag" not in response.headers and "last-modified" not in response.headers
            headers.append({k: v for k, v in response.headers.items() if k not in ("content-length", "date")})
            digests.append(hashlib.sha256(response.content).hexdigest())
        listen(client, clock, token, trial["id"])
        assert answer(client, token, trial["id"]).json()["stored"]
    assert all(h == headers[0] for h in headers)
    for k in range(0, len(digests), 2):  # no trial's A and B share bytes, catch trials included
        assert digests[k] != digests[k + 1]


def event(client, token, trial, slot="A", kind="play"):
    return client.post(
        "/listening/api/event", json={"token": token, "trial_id": trial, "slot": slot, "event": kind}
    )


def test_plays_are_taken_only_for_the_current_trial(server):
    client, clock, service = server
    token = start(client)
    trials = [
        r["id"]
        for r in service.store.query(
            "SELECT id FROM trials WHERE participant = ? ORDER BY position", (token,)
        )
    ]
    for future in trials[1:]:  # "listening" to every trial at once is refused
        refused = event(client, token, future)
        assert refused.status_code == 409 and "current trial" in refused.json()["error"]
    listen(client, clock, token, trials[0])
    assert answer(client, token, trials[0]).json()["stored"]
    assert event(client, token, trials[0], kind="ended").status_code == 409  # answered: no longer current
    assert event(client, token, trials[1]).status_code == 200
    assert event(client, start(client), trials[1]).status_code == 403  # someone else's trial


def test_a_huge_or_infinite_trial_id_is_a_422_not_a_500(server):
    client, _, _ = server
    token = start(client)
    for path in ("/listening/api/event", "/listening/api/answer"):
        for raw in ("99999999999999999999999", "Infinity", "-Infinity", "NaN", "1e400"):
            body = f'{{"token": "{token}", "trial_id": {raw}, "slot": "A", "event": "play", "values": {{}}}}'
            response = client.post(path, content=body, headers={"Content-Type": "application/json"})
            assert response.status_code == 422, (path, raw, response.text)


def test_a_nul_byte_in_a_name_is_an_unknown_name_and_in_an_answer_is_kept(server):
    """PostgreSQL's text cannot hold NUL: a token or study name with %00 failed the statement there (a 503
    that blamed the storage); it is an unknown name, as on SQLite, and a NUL typed into a question is kept."""
    client, _, service = server
    assert client.get("/listening/api/state", params={"token": "abc\x00"}).status_code == 403
    assert client.post("/listening/api/session", json={"study": "demo\x00"}).status_code == 404
    token = start(client)
    profile = {q: "a\x00b" for q in service.config(study_id="demo")["questions"]}
    assert client.post("/listening/api/consent", json={"token": token, "profile": profile}).status_code == 200
    stored = service.store.query("SELECT profile FROM participants WHERE token = ?", (token,))[0]["profile"]
    assert all(v.startswith("a") and v.endswith("b") and len(v) == 3 for v in json.loads(stored).values())


def test_the_routes_do_their_store_work_off_the_event_loop():
    import asyncio

    from fastapi.testclient import TestClient

    def on_loop() -> bool:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return False
        return True

    class Probe:
        def state(self, *, token):
            return {"on_loop": on_loop()}

        def event(self, **_):
            assert not on_loop()

    app = FastAPI()
    app.include_router(build_router(service=Probe()))
    with TestClient(app) as client:
        assert client.get("/listening/api/state").json() == {"on_loop": False}
        assert client.post("/listening/api/event", json={}).json() == {"ok": True}


def test_admin_routes_answer_nothing_without_the_configured_token(server, monkeypatch):
    client, _, _ = server
    monkeypatch.delenv("SONGBRIDGE_ADMIN_TOKEN", raising=False)
    assert client.get("/listening/api/admin/studies").status_code == 404
    assert client.get("/listening/api/admin/studies", headers={"X-Admin-Token": ADMIN}).status_code == 404
    monkeypatch.setenv("SONGBRIDGE_ADMIN_TOKEN", ADMIN)
    for path in (
        "/listening/api/admin/studies",
        "/listening/api/admin/demo/progress",
        "/listening/api/admin/demo/export",
    ):
        assert client.get(path).status_code == 403
        assert client.get(path, headers={"X-Admin-Token": "wrong"}).status_code == 403
        assert client.get(path, headers={"X-Admin-Token": ADMIN}).status_code == 200
    assert client.post("/listening/api/admin/demo/status", json={"status": "closed"}).status_code == 403
    ok = client.post(
        "/listening/api/admin/demo/status", json={"status": "closed"}, headers={"X-Admin-Token": ADMIN}
    )
    assert ok.status_code == 200
    closed = client.post("/listening/api/session", json={"study": "demo"})
    assert closed.status_code == 409 and "closed" in closed.json()["error"]
    client.post("/listening/api/admin/demo/status", json={"status": "open"}, headers={"X-Admin-Token": ADMIN})
    progress = client.get("/listening/api/admin/demo/progress", headers={"X-Admin-Token": ADMIN}).json()
    assert progress["listeners"] and "token" not in progress["listeners"][0]
    parquet = client.get(
        "/listening/api/admin/demo/export", params={"format": "parquet"}, headers={"X-Admin-Token": ADMIN}
    )
    frame = pd.read_parquet(io.BytesIO(parquet.content))  # the admin tab's download, in its other format
    assert "system_a" in frame.columns and "network" in frame.columns and len(frame)


WRITER = """
import sys
from evaluation.listening.service import ListeningService
from evaluation.listening.store import Store

class Fast:
    now = 1e6
    def __call__(self):
        self.now += 5.0  # every call is seconds later: every clip counts as heard
        return self.now

service = ListeningService(store=Store(root=sys.argv[1]), clock=Fast())
attrs = list(service.config(study_id="demo")["attributes"])
while True:
    token = service.start(study_id="demo")
    service.consent(token=token, profile={"headphones": "h", "native_language": "x", "musical_training": "0"})
    while (nxt := service.state(token=token)["next"]) is not None:
        for slot in ("A", "B"):
            service.event(token=token, trial_id=nxt["trial_id"], slot=slot, event="play")
            service.event(token=token, trial_id=nxt["trial_id"], slot=slot, event="ended")
        service.answer(token=token, trial_id=nxt["trial_id"], values=dict.fromkeys(attrs, "B"))
        print(nxt["trial_id"], flush=True)
"""


def test_every_acknowledged_answer_survives_sigkill(tmp_path, database):
    data = make_study(tmp_path, study_id="demo")
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, data], stdout=subprocess.PIPE, text=True, env=env
    )
    acknowledged = []
    deadline = time.time() + 30
    while len(acknowledged) < 60 and time.time() < deadline:
        acknowledged.append(int(writer.stdout.readline()))
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    assert len(acknowledged) == 60 and writer.returncode == -signal.SIGKILL
    store = Store(root=data)  # runs the integrity check
    stored = {r["trial_id"] for r in store.query("SELECT DISTINCT trial_id FROM answers")}
    assert set(acknowledged) <= stored


def test_a_flood_of_play_reports_is_capped_and_the_answer_check_stays_linear(server):
    """Quadratic-lock attack (issue 22): one link floods its current trial with reports. The store keeps
    at most MAX_EVENTS_PER_TRIAL of them (the rest get 429), and the listening check still passes."""
    from evaluation.listening.service import MAX_EVENTS_PER_TRIAL

    client, clock, service = server
    token = start(client)
    trial = client.get("/listening/api/state", params={"token": token}).json()["next"]["trial_id"]
    for _ in range(MAX_EVENTS_PER_TRIAL // 2 - 2):  # room left for the 4 honest reports
        service.event(token=token, trial_id=trial, slot="A", event="ended")  # ended before any play
        service.event(token=token, trial_id=trial, slot="B", event="ended")
    listen(client, clock, token, trial)  # the honest plays come last
    refused = event(client, token, trial)
    assert refused.status_code == 429 and "please answer" in refused.json()["error"]
    stored = service.store.query("SELECT COUNT(*) AS n FROM play_events WHERE trial_id = ?", (trial,))
    assert stored[0]["n"] == MAX_EVENTS_PER_TRIAL
    # the ended reports that came before the first play cannot count, the honest ones do
    assert answer(client, token, trial).json()["stored"]
