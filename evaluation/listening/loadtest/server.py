"""The server under test, in its own process: the study it serves, start, SIGKILL, restart."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

from evaluation.listening.loadtest.participant import CLIP_S


def make_study(*, data: str, trials: int, database_url: str | None = None) -> str:
    """A preference study of 0.5 s clips (5 systems × 12 items: 120 conditions) in ``data`` (and in the
    PostgreSQL database at ``database_url`` when given); returns its id."""
    from evaluation.listening.__main__ import main
    from evaluation.listening.synthetic import write_folder, write_study

    systems, items = [f"s{k}" for k in range(5)], [f"item{k}" for k in range(12)]
    folder = write_folder(root=os.path.join(data, "layout"), systems=systems, items=items, seconds=CLIP_S)
    path = write_study(
        path=os.path.join(data, "load.yaml"), folder=folder, study_id="load", systems=systems, items=items,
        trials=trials, catch_rate=0.1, participants={"per_address_per_hour": 100_000},  # all from 127.0.0.1
    )  # fmt: skip
    where = ["--database-url", database_url] if database_url else []
    if main(["--data-dir", os.path.join(data, "db"), *where, "init", path]) != 0:
        raise SystemExit("could not build the load-test study")
    return "load"


def serve(*, data: str, port: int, bare: bool) -> None:
    """The server side (run in its own process): the whole app, or ``bare`` FastAPI with the routes only."""
    import uvicorn

    os.environ["SONGBRIDGE_DATA_DIR"] = data
    if bare:
        from fastapi import FastAPI

        from evaluation.listening.routes import build_router
        from evaluation.listening.service import ListeningService
        from evaluation.listening.store import Store

        app = FastAPI()
        app.include_router(build_router(service=ListeningService(store=Store(root=data))))
        uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
        return
    import torch

    torch.set_num_threads(1)
    from app import create_app

    blocks = create_app()
    blocks.queue(max_size=int(os.environ.get("SONGBRIDGE_QUEUE_SIZE", "64")))
    blocks.launch(
        server_name="127.0.0.1", server_port=port, quiet=True, app_kwargs={"routes": blocks.listening_routes}
    )


class Server:
    """``python -m evaluation.listening.loadtest --serve DATA`` in a subprocess."""

    def __init__(
        self, *, data: str, port: int, bare: bool, conversions: int, database_url: str | None = None
    ) -> None:
        self.data, self.port, self.bare = data, port, bare
        self.env = {**os.environ, "SONGBRIDGE_CONVERSIONS": str(conversions), "OMP_NUM_THREADS": "1"}
        self.env.pop("SONGBRIDGE_DATABASE_URL", None)
        if database_url:  # every replica on the one PostgreSQL database
            self.env["SONGBRIDGE_DATABASE_URL"] = database_url
        self.process: subprocess.Popen | None = None

    def start(self, *, timeout: float = 180.0) -> float:
        """Start and wait until the routes answer; returns the seconds that took."""
        started = time.monotonic()
        cmd = [
            sys.executable,
            "-m",
            "evaluation.listening.loadtest",
            "--serve",
            self.data,
            "--port",
            str(self.port),
        ]
        self.process = subprocess.Popen(cmd + (["--bare"] if self.bare else []), env=self.env)
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/listening/api/state?token=x", timeout=5)
            except urllib.error.HTTPError:
                return time.monotonic() - started  # an HTTP refusal: the routes are up
            except OSError:
                if time.monotonic() - started > timeout or self.process.poll() is not None:
                    raise SystemExit("the server did not start") from None
                time.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL: no shutdown handler, no flush, no goodbye."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
