"""Helpers for the listening tests: a study made on disk and a real HTTP server in a thread."""

from __future__ import annotations

import os
import socket
import sqlite3
import threading
import time

from evaluation.listening.__main__ import main
from evaluation.listening.synthetic import write_folder, write_study

SYSTEMS, ITEMS = ["sysA", "sysB", "sysC"], ["song1", "song2"]


class Clock:
    """A server clock the test moves forward, so listening time passes without waiting."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


PROFILE = {"headphones": "h", "native_language": "x", "musical_training": "1"}


def answer_first_trial(service, clock: Clock, token: str, choice: str, *, study_id: str = "demo") -> str:
    """Play both clips of ``token``'s next trial to the end, then answer ``choice`` for every attribute."""
    trial = service.state(token=token)["next"]["trial_id"]
    for event in ("play", "ended"):
        for slot in ("A", "B"):
            service.event(token=token, trial_id=trial, slot=slot, event=event)
        clock.advance(1.0)
    attributes = service.config(study_id=study_id)["attributes"]
    service.answer(token=token, trial_id=trial, values=dict.fromkeys(attributes, choice))
    return trial


def make_study(root, *, study_id="demo", kind="preference", seconds=1.0, trials=4, catch_rate=0.25) -> str:
    """Initialise a synthetic study in ``root/data``; returns the data directory."""
    folder = write_folder(root=str(root / "layout"), systems=SYSTEMS, items=ITEMS, seconds=seconds)
    study = write_study(
        path=str(root / f"{study_id}.yaml"), folder=folder, study_id=study_id, kind=kind, systems=SYSTEMS,
        items=ITEMS, trials=trials, catch_rate=catch_rate,
        participants={"per_address_per_hour": 1000},  # every test participant comes from 127.0.0.1
    )  # fmt: skip
    data = str(root / "data")
    assert main(["--data-dir", data, "init", study]) == 0
    return data


def study_with_an_answer(root, choice: str) -> str:
    """``make_study`` with one participant who consented and answered the first trial ``choice``; returns the
    data directory with the store closed (what a hostile request must leave unchanged)."""
    from evaluation.listening.service import ListeningService
    from evaluation.listening.store import Store

    data = make_study(root, seconds=0.5)
    clock = Clock()
    service = ListeningService(store=Store(root=data), clock=clock)
    token = service.start(study_id="demo")
    service.consent(token=token, profile=PROFILE)
    answer_first_trial(service, clock, token, choice)
    service.store.close()
    return data


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(app, port: int):
    """Run ``app`` with uvicorn in a daemon thread; returns the server (call ``should_exit = True``)."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.time() + 10
    while not server.started and time.time() < deadline:
        time.sleep(0.02)
    return server


def launch_app(monkeypatch, data: str, admin: str | None = None):
    """The real app (``create_app``) on a free local port over the study data in ``data``; call
    ``app.close()`` when done. ``admin`` sets SONGBRIDGE_ADMIN_TOKEN (None: no admin tab or route)."""
    from app import create_app

    monkeypatch.setenv("SONGBRIDGE_DATA_DIR", data)
    if admin:
        monkeypatch.setenv("SONGBRIDGE_ADMIN_TOKEN", admin)
    else:
        monkeypatch.delenv("SONGBRIDGE_ADMIN_TOKEN", raising=False)
    app = create_app()
    launch_locally(app, app_kwargs={"routes": app.listening_routes})
    return app


def launch_locally(app, *, attempts: int = 3, **kwargs) -> None:
    """``app.launch`` on 127.0.0.1 without blocking. Gradio gives up on its own server when one HEAD
    request takes over 3 s, which a loaded 2-core machine can cause: try again then."""
    for attempt in range(attempts):
        try:
            app.launch(server_name="127.0.0.1", prevent_thread_lock=True, quiet=True, **kwargs)
            return
        except ValueError as error:
            if "localhost is not accessible" not in str(error) or attempt == attempts - 1:
                raise
            app.close()


def snapshot(data: str) -> dict:
    """Every row of every table, and every file under the data directory but the database's own."""
    conn = sqlite3.connect(f"file:{data}/listening.sqlite?mode=ro", uri=True)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        rows = {t: conn.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in tables}
    finally:
        conn.close()
    files = sorted(
        (os.path.relpath(os.path.join(d, f), data), os.path.getsize(os.path.join(d, f)))
        for d, _, names in os.walk(data)
        for f in names
        if not f.startswith("listening.sqlite")
    )
    return {"rows": rows, "files": files}
