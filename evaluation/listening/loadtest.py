"""Load benchmark of the answer path: ``python -m evaluation.listening.loadtest [--clients 200]``.

Builds a study of 0.5 s clips in a temporary data directory, starts the app (the Gradio app with the
listening routes beside it, or ``--bare`` FastAPI with the routes only) in a subprocess, and runs
simulated listeners through the full protocol over keep-alive HTTP: fetch the trial, play A and B,
wait the clips' length, report both ended, answer. Prints answers/s and requests/s at each client
count; ``--ramp`` doubles the clients until throughput stops growing and prints the ceiling.
Not a test: it takes about ``--seconds`` per stage and both CPU cores.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time

CLIP_S = 0.5


class Conn:
    """A minimal HTTP/1.1 keep-alive client (the load generator must cost less CPU than the server)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader = self.writer = None
        self.token: str | None = None  # the simulated listener using this connection

    async def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        data = json.dumps(body).encode() if body is not None else b""
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Length: {len(data)}\r\n"
        if body is not None:
            head += "Content-Type: application/json\r\n"
        self.writer.write(head.encode() + b"\r\n" + data)
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        payload = await self.reader.readexactly(length)
        return status, json.loads(payload) if payload else {}


class Tally:
    def __init__(self) -> None:
        self.answers = self.requests = self.errors = 0
        self.latencies: list[float] = []
        self.first_error = ""


async def listener(conn: Conn, study: str, tally: Tally, stop: float, attributes: list[str]) -> None:
    async def call(method: str, path: str, body: dict | None = None) -> dict:
        status, data = await conn.request(method, path, body)
        tally.requests += 1
        if status != 200:
            tally.errors += 1
            tally.first_error = tally.first_error or f"{status} {data}"
        return data

    profile = {"headphones": "h", "native_language": "x", "musical_training": "0"}
    while time.perf_counter() < stop:
        if conn.token is None:
            conn.token = (await call("POST", "/listening/api/session", {"study": study}))["token"]
            await call("POST", "/listening/api/consent", {"token": conn.token, "profile": profile})
        token = conn.token
        while time.perf_counter() < stop:
            nxt = (await call("GET", f"/listening/api/state?token={token}"))["next"]
            if nxt is None:  # this listener is done; the next one starts a session
                conn.token = None
                break
            trial = nxt["trial_id"]
            for slot in ("A", "B"):
                await call(
                    "POST",
                    "/listening/api/event",
                    {"token": token, "trial_id": trial, "slot": slot, "event": "play"},
                )
            await asyncio.sleep(CLIP_S + 0.02)
            for slot in ("A", "B"):
                await call(
                    "POST",
                    "/listening/api/event",
                    {"token": token, "trial_id": trial, "slot": slot, "event": "ended"},
                )
            started = time.perf_counter()
            result = await call(
                "POST",
                "/listening/api/answer",
                {"token": token, "trial_id": trial, "values": dict.fromkeys(attributes, "A")},
            )
            tally.latencies.append(time.perf_counter() - started)
            if result.get("stored"):
                tally.answers += 1


async def stage(port: int, study: str, clients: int, seconds: float, attributes: list[str]) -> dict:
    warm, tally = Tally(), Tally()
    conns = [Conn("127.0.0.1", port) for _ in range(clients)]
    # warm-up: every client connects and starts, then counting begins
    await asyncio.gather(*(listener(c, study, warm, time.perf_counter() + 1.0, attributes) for c in conns))
    start = time.perf_counter()
    await asyncio.gather(*(listener(c, study, tally, start + seconds, attributes) for c in conns))
    wall = time.perf_counter() - start
    lat = sorted(tally.latencies) or [float("nan")]
    return {
        "clients": clients, "answers_per_s": tally.answers / wall, "requests_per_s": tally.requests / wall,
        "answer_p50_ms": 1000 * lat[len(lat) // 2], "answer_p95_ms": 1000 * lat[int(len(lat) * 0.95)],
        "errors": tally.errors, "first_error": tally.first_error,
    }  # fmt: skip


def make_study(data: str) -> str:
    from evaluation.listening.__main__ import main
    from evaluation.listening.synthetic import write_folder, write_study

    systems, items = ["s1", "s2", "s3", "s4"], [f"item{k}" for k in range(10)]
    folder = write_folder(root=os.path.join(data, "layout"), systems=systems, items=items, seconds=CLIP_S)
    path = write_study(
        path=os.path.join(data, "load.yaml"),
        folder=folder,
        study_id="load",
        systems=systems,
        items=items,
        trials=40,
        catch_rate=0.1,
    )
    if main(["--data-dir", os.path.join(data, "db"), "init", path]) != 0:
        raise SystemExit("could not build the load-test study")
    return "load"


def serve(*, data: str, port: int, bare: bool) -> None:
    """The server side (run in its own process)."""
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
    from app import create_app

    blocks = create_app()
    blocks.queue()
    blocks.launch(
        server_name="127.0.0.1", server_port=port, quiet=True, app_kwargs={"routes": blocks.listening_routes}
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m evaluation.listening.loadtest", description=__doc__.split("\n")[0]
    )
    p.add_argument("--clients", type=int, default=200)
    p.add_argument("--seconds", type=float, default=15.0, help="measured seconds per stage")
    p.add_argument("--ramp", action="store_true", help="double the clients until throughput stops growing")
    p.add_argument("--bare", action="store_true", help="FastAPI with the routes only, without Gradio")
    p.add_argument("--port", type=int, default=7871)
    p.add_argument("--serve", metavar="DATA", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.serve:
        serve(data=args.serve, port=args.port, bare=args.bare)
        return 0
    from evaluation.listening.study import DEFAULT_ATTRIBUTES

    with tempfile.TemporaryDirectory(prefix="songbridge-load-") as data:
        study = make_study(data)
        cmd = [
            sys.executable,
            "-m",
            "evaluation.listening.loadtest",
            "--serve",
            os.path.join(data, "db"),
            "--port",
            str(args.port),
        ]
        server = subprocess.Popen(cmd + (["--bare"] if args.bare else []))
        try:
            deadline = time.time() + 120
            while True:
                try:
                    asyncio.run(Conn("127.0.0.1", args.port).request("GET", "/listening/api/state?token=x"))
                    break
                except OSError:
                    if time.time() > deadline or server.poll() is not None:
                        raise SystemExit("the server did not start") from None
                    time.sleep(0.5)
            results, clients = [], args.clients
            while True:
                r = asyncio.run(stage(args.port, study, clients, args.seconds, list(DEFAULT_ATTRIBUTES)))
                results.append(r)
                print(
                    f"{r['clients']:5d} clients: {r['answers_per_s']:7.1f} answers/s {r['requests_per_s']:8.1f} "
                    f"requests/s  answer p50 {r['answer_p50_ms']:.0f} ms p95 {r['answer_p95_ms']:.0f} ms  "
                    f"errors {r['errors']} {r['first_error'][:120]}",
                    flush=True,
                )
                grew = len(results) == 1 or r["answers_per_s"] > 1.1 * results[-2]["answers_per_s"]
                if not args.ramp or not grew or clients >= 3200:
                    break
                clients *= 2
            best = max(results, key=lambda x: x["answers_per_s"])
            kind = "bare FastAPI" if args.bare else "Gradio app"
            print(
                f"ceiling: {best['answers_per_s']:.1f} answers/s, {best['requests_per_s']:.1f} requests/s "
                f"({best['clients']} clients, {os.cpu_count()} CPU cores, server: {kind}, "
                "load generator on the same machine)"
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
