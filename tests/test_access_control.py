"""Access control attacked from outside: walk every route the app serves (the listening routes and
all of Gradio's, /gradio_api/ included) and every named Gradio endpoint. Admin ones refuse a missing or
wrong token; participant ones never show another participant's data, a result or a system name; file
routes serve nothing outside the study clips, the app's assets and Gradio's converter cache; a
participant's answers are rate-limited. A route added later fails the walk until it is classified."""

from __future__ import annotations

import json
import os
import re

import httpx
import pytest

from tests.listening_server import PROFILE, SYSTEMS, Clock, answer_first_trial, launch_app, make_study

ADMIN = "walk-admin-token-7f3a"

# Every route, by what it is. "page": public page or metadata (fetched, scanned for secrets);
# "file": serves files (attacked with paths); "event": runs Gradio events (admin events attacked);
# "stream": long-lived streams of one session; "dev": refuses outside Gradio's dev/vibe modes;
# "board": an arena's public results (404 for every other study).
ROUTES = {
    "/listening/api/session": "participant", "/listening/api/state": "participant",
    "/listening/api/consent": "participant", "/listening/api/event": "participant",
    "/listening/api/answer": "participant", "/listening/api/stimulus/{trial_id}/{slot}": "file",
    "/listening/api/headphones": "participant", "/listening/api/headphones/{trial}": "file",
    "/listening/api/admin/studies": "admin", "/listening/api/admin/{study}/progress": "admin",
    "/listening/api/admin/{study}/export": "admin", "/listening/api/admin/{study}/status": "admin",
    "/listening/api/arena/{study}/leaderboard": "board", "/listening/api/arena/upload": "participant",
    "/": "page", "/config": "page", "/config/": "page", "/openapi.json": "page", "/favicon.ico": "page",
    "/theme.css": "page", "/robots.txt": "page", "/manifest.json": "page", "/pwa_icon": "page",
    "/pwa_icon/{size}": "file", "/login": "page", "/login/": "page", "/logout": "page",
    "/monitoring": "page", "/monitoring/summary": "page", "/monitoring/{key}": "page",
    "/svelte/{path:path}": "file", "/static/{path:path}": "file", "/assets/{path:path}": "file",
    "/gradio_api/deep_link": "page", "/gradio_api/user": "page", "/gradio_api/user/": "page",
    "/gradio_api/login_check": "page", "/gradio_api/login_check/": "page", "/gradio_api/token": "page",
    "/gradio_api/token/": "page", "/gradio_api/app_id": "page", "/gradio_api/app_id/": "page",
    "/gradio_api/runs": "page", "/gradio_api/runs/": "page", "/gradio_api/info": "page",
    "/gradio_api/info/": "page", "/gradio_api/openapi.json": "page", "/gradio_api/queue/status": "page",
    "/gradio_api/startup-events": "page", "/gradio_api/theme.css": "page",
    "/gradio_api/custom_component/{id}/{environment}/{type}/{file_name}": "file",
    "/gradio_api/proxy={url_path:path}": "file", "/gradio_api/file={path_or_url:path}": "file",
    "/gradio_api/file/{path:path}": "file",
    "/gradio_api/stream/{event_id}": "stream", "/gradio_api/stream/{event_id}/close": "stream",
    "/gradio_api/stream/{session_hash}/{run}/{component_id}/playlist.m3u8": "stream",
    "/gradio_api/stream/{session_hash}/{run}/{component_id}/{segment_id}.{ext}": "stream",
    "/gradio_api/stream/{session_hash}/{run}/{component_id}/playlist-file": "stream",
    "/gradio_api/heartbeat/{session_hash}": "stream", "/gradio_api/dev/reload": "stream",
    "/gradio_api/reset": "event", "/gradio_api/reset/": "event", "/gradio_api/api/{api_name}": "event",
    "/gradio_api/api/{api_name}/": "event", "/gradio_api/run/{api_name}": "event",
    "/gradio_api/run/{api_name}/": "event", "/gradio_api/call/{api_name}": "event",
    "/gradio_api/call/{api_name}/": "event", "/gradio_api/call/v2/{api_name}": "event",
    "/gradio_api/call/v2/{api_name}/": "event", "/gradio_api/call/{api_name}/{event_id}": "event",
    "/gradio_api/call/v2/{api_name}/{event_id}": "event", "/gradio_api/queue/join": "event",
    "/gradio_api/queue/data": "event", "/gradio_api/cancel": "event", "/gradio_api/component_server": "event",
    "/gradio_api/component_server/": "event", "/gradio_api/upload": "event",
    "/gradio_api/upload_progress": "event", "/gradio_api/process_recording": "event",
    "/gradio_api/vibe-edit": "dev", "/gradio_api/vibe-edit/": "dev", "/gradio_api/undo-vibe-edit": "dev",
    "/gradio_api/undo-vibe-edit/": "dev", "/gradio_api/vibe-code": "dev", "/gradio_api/vibe-code/": "dev",
    "/gradio_api/vibe-starter-queries": "dev", "/gradio_api/vibe-starter-queries/": "dev",
}  # fmt: skip


def walk(routes) -> dict[str, set[str]]:
    """path -> methods of every route, following Gradio's included routers."""
    found: dict[str, set[str]] = {}
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            for path, methods in walk(inner.routes).items():
                found.setdefault(path, set()).update(methods)
        elif getattr(route, "path", None):
            found.setdefault(route.path, set()).update(getattr(route, "methods", None) or {"GET"})
    return found


@pytest.fixture(scope="module")
def site(tmp_path_factory, module_database):  # the app on SQLite and on PostgreSQL
    """The app with a study in which Alice answered one trial and Bob has started, and one conversion done."""
    from gradio_client import Client, handle_file

    from evaluation.listening.service import ListeningService
    from evaluation.listening.store import Store

    root = tmp_path_factory.mktemp("walk")
    data = make_study(root, seconds=0.5)
    clock = Clock()
    service = ListeningService(store=Store(root=data), clock=clock)
    alice, bob = service.start(study_id="demo"), service.start(study_id="demo")
    for token in (alice, bob):
        service.consent(token=token, profile=PROFILE)
    answer_first_trial(service, clock, alice, "A")
    bob_trial = service.state(token=bob)["next"]["trial_id"]
    service.store.close()
    with pytest.MonkeyPatch.context() as mp:
        app = launch_app(mp, data, ADMIN)
        url = app.local_url.rstrip("/")
        try:
            client = Client(app.local_url, verbose=False)
            client.predict(audio_path=handle_file(os.path.join("examples", "speech_arctic_slt_a0009.wav")),
                           melody_source="Note text", note_text="60:0.5 62:0.5", midi_file=None,
                           reference_recording=None,
                           api_name="/convert_world_sts")  # fmt: skip
            yield {
                "app": app, "url": url, "data": data, "alice": alice, "bob": bob, "bob_trial": bob_trial,
                "client": client, "http": httpx.Client(base_url=url, timeout=60),
            }  # fmt: skip
        finally:
            app.close()


def secrets_of(site) -> list[str]:
    return [site["alice"], site["bob"], ADMIN, site["data"], *SYSTEMS]


def assert_no_secret(site, text: str, where: str) -> None:
    leaked = [s for s in secrets_of(site) if s in text]
    assert not leaked, f"{where} shows {leaked}"


def test_every_route_the_app_serves_is_classified(site):
    served = walk(site["app"].app.routes)
    unknown = sorted(set(served) - set(ROUTES))
    assert not unknown, f"classify these routes in ROUTES (and attack them here): {unknown}"
    assert {
        "/listening/api/answer",
        "/gradio_api/file={path_or_url:path}",
        "/gradio_api/call/{api_name}",
    } <= set(served)


def test_public_pages_and_metadata_hold_no_token_result_or_system_name(site):
    http = site["http"]
    for path, kind in ROUTES.items():
        if kind != "page" or "{" in path:
            continue
        response = http.post(path) if path.startswith("/login") else http.get(path)
        assert response.status_code < 500, path
        assert_no_secret(site, response.text, path)
    assert (
        http.get("/gradio_api/runs").status_code == 404
    )  # no run history keeping inputs (and the admin token)
    assert http.get("/monitoring/guess").status_code == 403


def test_a_blind_studys_results_are_no_board(site):
    """The leaderboard route serves an arena's board only: a preference study's results (or anything the
    study name can be bent into) answer 404 and name no system."""
    for path, kind in ROUTES.items():
        if kind != "board":
            continue
        for study in ("demo", "nope", "..%2fdemo", "demo%00", "DEMO"):
            response = site["http"].get(path.replace("{study}", study))
            assert response.status_code == 404, (path, study)
            assert_no_secret(site, response.text, path)


def test_dev_routes_refuse(site):
    for path, kind in ROUTES.items():
        if kind == "dev":
            response = site["http"].post(path, json={"prompt": "x", "code": "x", "hash": "x"})
            assert response.status_code in (403, 404, 405, 422), path
            assert_no_secret(site, response.text, path)


def test_every_admin_route_and_event_refuses_a_missing_or_wrong_token(site):
    http = site["http"]
    for path, kind in ROUTES.items():
        if kind != "admin":
            continue
        concrete = path.replace("{study}", "demo")
        for headers in ({}, {"X-Admin-Token": "wrong"}, {"X-Admin-Token": ADMIN[:-1]}):
            response = http.request("POST" if path.endswith("status") else "GET", concrete, headers=headers,
                                    json={"status": "closed"} if path.endswith("status") else None)  # fmt: skip
            assert response.status_code == 403, (path, headers)
            assert_no_secret(site, response.text, path)
    info = http.get("/gradio_api/info").json()["named_endpoints"]
    admin = {name: spec["parameters"] for name, spec in info.items() if name.startswith("/admin")}
    assert {"/admin_studies", "/admin_export", "/admin_report", "/admin_close"} <= set(admin)
    for name, parameters in admin.items():
        for token in ("", "wrong"):
            values = [token] + ["csv" if p["label"] == "Export format" else "demo" for p in parameters[1:]]
            kwargs = {p["parameter_name"]: v for p, v in zip(parameters, values, strict=True)}
            for route in ("run", "api"):
                response = http.post(f"/gradio_api/{route}{name}", json={"data": values})
                assert "admin token is missing or wrong" in response.text, (route, name)
                assert_no_secret(site, response.text, f"{route}{name}")
            for route, body in (("call", {"data": values}), ("call/v2", kwargs)):
                event = http.post(f"/gradio_api/{route}{name}", json=body).json()["event_id"]
                stream = http.get(f"/gradio_api/{route}{name}/{event}").text
                assert "event: error" in stream and "admin token is missing or wrong" in stream, (route, name)
                assert_no_secret(site, stream, f"{route}{name}")
    # the right token works through the same door: the refusals above are the token's doing
    assert "demo" in http.post("/gradio_api/run/admin_studies", json={"data": [ADMIN]}).text


def test_participant_routes_never_show_another_participant_a_result_or_a_system(site):
    http, alice, bob_trial = site["http"], site["alice"], site["bob_trial"]
    state = http.get("/listening/api/state", params={"token": alice}).json()
    assert set(state) == {
        "study",
        "consented",
        "total",
        "answered",
        "next",
        "code",
        "completion_url",
        "headphones",
    }
    assert_no_secret(site, json.dumps(state).replace(alice, ""), "state")
    assert (
        set(state["next"]) == {"trial_id", "practice", "a", "b", "source", "melody"}
        and state["answered"] == 1
    )
    session = http.post("/listening/api/session", json={"study": "demo"}).json()
    assert set(session) == {"token"}
    for path, body in (
        ("/listening/api/event", {"token": alice, "trial_id": bob_trial, "slot": "A", "event": "play"}),
        ("/listening/api/answer", {"token": alice, "trial_id": bob_trial, "values": {}}),
        ("/listening/api/consent", {"token": "forged", "profile": PROFILE}),
    ):
        response = http.post(path, json=body)
        assert response.status_code == 403, path
        assert_no_secret(site, response.text, path)
    for token, status in (("forged", 403), (alice, 404)):  # an upload: nobody's, and not an arena's
        response = http.post("/listening/api/arena/upload", params={"token": token}, content=b"RIFF....WAVE")
        assert response.status_code == status, token
        assert_no_secret(site, response.text.replace(alice, ""), "upload")
    for slot in ("a", "b", "source", "melody"):
        response = http.get(f"/listening/api/stimulus/{bob_trial}/{slot}", params={"token": alice})
        assert response.status_code == 404 and not response.content.startswith(b"RIFF")
    mine = http.get(state["next"]["a"])
    assert mine.status_code == 200 and mine.content.startswith(b"RIFF")  # the door opens for its owner


def attacks(site) -> list[str]:
    """Paths to files that must never be served: the database, a clip by its file path, the app's
    code, system files; straight, absolute, %-encoded, and through a symlink in Gradio's own cache."""
    data = site["data"]
    db = os.path.join(data, "listening.sqlite")
    clip = next(iter(sorted(os.listdir(os.path.join(data, "studies", "demo", "stimuli")))))
    link = os.path.join(site["app"].GRADIO_CACHE, "songbridge-walk-link.wav")
    if not os.path.islink(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(db, link)
    return [
        db, os.path.join(data, "studies", "demo", "stimuli", clip), "/etc/passwd", os.path.abspath("app.py"),
        "app.py", "../../../../etc/passwd", "..%2f..%2f..%2f..%2fetc%2fpasswd", "%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "..%252f..%252fetc%252fpasswd", db.replace("/", "%2f"), link, f"file://{db}", "....//....//etc/passwd",
    ]  # fmt: skip


FORBIDDEN = (b"SQLite format 3", b"root:x:0:0", b"create_app", b"RIFF")


def test_file_routes_serve_nothing_outside_their_folders(site):
    http, alice = site["http"], site["alice"]
    templates = [p for p, kind in ROUTES.items() if kind == "file"]
    for template in templates:
        for target in attacks(site):
            path = re.sub(r"\{[^}]*\}", "x", template)
            path = (
                re.sub(r"x$", "", path) + target
                if template.endswith(":path}")
                else path.replace("/x", "/" + target, 1)
            )
            response = http.get(path, params={"token": alice} if "listening" in template else None)
            body = response.content
            assert response.status_code != 200 or not any(f in body for f in FORBIDDEN), (template, target)
    # What must be served still is: a converter output from Gradio's cache, and the app's own assets.
    # the fixture's conversion, named input_converter_melody_… (demo/conversion.py)
    outputs = [os.path.join(d, f) for d, _, fs in os.walk(site["app"].GRADIO_CACHE) for f in fs
               if "_world-sts_" in f]  # fmt: skip
    assert outputs and http.get(f"/gradio_api/file={outputs[0]}").content.startswith(b"RIFF")
    assert http.get("/").status_code == 200 and http.get("/favicon.ico").status_code == 200


def test_a_participants_answer_rate_is_limited_and_the_limit_is_theirs_alone(site):
    http = site["http"]
    flood = [http.post("/listening/api/answer", json={"token": site["bob"], "trial_id": site["bob_trial"],
                                                      "values": {}}) for _ in range(12)]  # fmt: skip
    statuses = [r.status_code for r in flood]
    assert 429 in statuses and statuses[0] != 429, statuses
    limited = next(r for r in flood if r.status_code == 429)
    assert int(limited.headers["Retry-After"]) >= 1 and "wait a moment" in limited.json()["error"]
    other = http.post("/listening/api/answer", json={"token": site["alice"], "trial_id": 1, "values": {}})
    assert other.status_code != 429  # one participant's flood does not lock out another
    # Play reports (10/s) are limited too; that is tested on a frozen clock in test_ratelimit.py: over
    # HTTP on a loaded 2-core machine the requests themselves can come slower than the bucket refills.
