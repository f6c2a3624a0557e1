"""``python -m evaluation.listening.loadtest.flood [--links 3] [--seconds 30]``: the red team's lock attack.

Each attacking link floods its current trial with play reports (as fast as the rate limit lets it),
then sends answers the listening check refuses, over and over, while one honest participant reads its
state every 50 ms. Prints the honest participant's latency (p50, p95, max) and what the attackers got.
Before the fix (the check quadratic in the reports, under the lock every request takes) three links with
6,000 reports each raised the honest median from 3 ms to 2.75 s. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from collections import Counter

import httpx

from evaluation.listening.loadtest.participant import PROFILE
from evaluation.listening.loadtest.server import Server, make_study

API = "/listening/api"


def _link(client: httpx.Client, study: str) -> tuple[str, int]:
    token = client.post(f"{API}/session", json={"study": study}).json()["token"]
    client.post(f"{API}/consent", json={"token": token, "profile": PROFILE})
    trial = client.get(f"{API}/state", params={"token": token}).json()["next"]["trial_id"]
    return token, trial


def attack(port: int, study: str, until: float, got: Counter) -> None:
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
        token, trial = _link(client, study)
        values = dict.fromkeys(("intelligibility", "naturalness", "melody", "speaker"), "A")
        while time.monotonic() < until:
            for _ in range(20):  # reports whose 'ended' precede every play: the answer is refused
                r = client.post(
                    f"{API}/event", json={"token": token, "trial_id": trial, "slot": "A", "event": "ended"}
                )
                got[f"report {r.status_code}"] += 1
            r = client.post(f"{API}/answer", json={"token": token, "trial_id": trial, "values": values})
            got[f"answer {r.status_code}"] += 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--links", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--port", type=int, default=7899)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as data:
        study = make_study(data=data, trials=8)
        server = Server(data=os.path.join(data, "db"), port=args.port, bare=True, conversions=0)
        server.start()
        try:
            got: Counter = Counter()
            until = time.monotonic() + args.seconds
            threads = [
                threading.Thread(target=attack, args=(args.port, study, until, got))
                for _ in range(args.links)
            ]
            for thread in threads:
                thread.start()
            latencies = []
            with httpx.Client(base_url=f"http://127.0.0.1:{args.port}", timeout=60) as client:
                token, _ = _link(client, study)
                while time.monotonic() < until:
                    started = time.monotonic()
                    client.get(f"{API}/state", params={"token": token})
                    latencies.append(time.monotonic() - started)
                    time.sleep(0.05)
            for thread in threads:
                thread.join()
        finally:
            server.stop()
    ordered = sorted(latencies)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000  # noqa: E731
    print(
        f"{args.links} attacking links for {args.seconds:.0f} s; what they got: {dict(sorted(got.items()))}"
    )
    print(
        f"honest /state: n={len(ordered)} p50 {pick(0.5):.1f} ms, p95 {pick(0.95):.1f} ms, "
        f"max {ordered[-1] * 1000:.1f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
