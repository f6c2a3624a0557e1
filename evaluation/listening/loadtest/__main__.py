"""``python -m evaluation.listening.loadtest --mode paced|burst|mixed [--participants 200] [--replicas 3]``

Prints answers per second, p50/p95/p99 answer latency, the outage of the SIGKILL and restart, and
acknowledged vs stored answers read from the database. Exits 1 when an acknowledged answer was lost,
altered or duplicated, a balanced slot was given twice, or a participant could not finish. A benchmark,
not a test: it takes both cores.

``--replicas N`` (N > 1) runs N app processes (on --port and free ports) over one PostgreSQL database
(``--database-url``, else a throwaway server in a temporary folder, with fsync on); participants are spread
over them, and the SIGKILL takes one replica for good: its participants move to the next one, as behind a
load balancer.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

from evaluation.listening.loadtest.participant import Tally, burst, paced, participant
from evaluation.listening.loadtest.server import Server, make_study, serve
from evaluation.listening.loadtest.verify import check
from evaluation.listening.pgcluster import free_port

MODES = ("paced", "burst", "mixed")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


async def drive(
    args, *, servers: list[Server], study: str, attributes: list[str], tally: Tally, conversions
) -> dict:
    rng = random.Random(args.seed)
    listen = burst() if args.mode == "burst" else paced(rng)
    converting = conversions.running if conversions else (lambda: False)
    expected = args.participants * (args.trials + 2)  # practice + trials + about one catch trial
    common = {
        "ports": [s.port for s in servers],
        "study": study,
        "attributes": attributes,
        "tally": tally,
        "listen": listen,
    }
    tasks = [
        asyncio.create_task(
            participant(n, start_after=rng.uniform(0, args.ramp_s), converting=converting, **common)
        )
        for n in range(args.participants)
    ]
    started, outage = time.monotonic(), {}
    if args.kill:
        while not all(t.done() for t in tasks) and len(tally.acknowledged) < expected / 2:
            await asyncio.sleep(0.05)
        if len(tally.acknowledged) >= expected / 2:
            outage["acknowledged_before"] = len(tally.acknowledged)
            outage["mid_study"] = set(tally.tokens) - tally.completed
            killed = time.monotonic()
            servers[0].kill()
            if len(servers) == 1:  # restarted; with replicas the others carry on without it
                outage["restart_s"] = await asyncio.get_running_loop().run_in_executor(None, servers[0].start)
                outage["down_s"] = time.monotonic() - killed
            else:
                outage["killed_port"] = servers[0].port
    await asyncio.gather(*tasks)
    return {"wall_s": time.monotonic() - started, **outage}


@contextmanager
def database(args) -> Iterator[str | None]:
    """The replicas' PostgreSQL database: ``--database-url``, else a throwaway server (fsync on: the
    numbers are a real database's); None (SQLite in the data folder) for one server without a URL."""
    if args.database_url or args.replicas == 1:
        yield args.database_url
        return
    from evaluation.listening.pgcluster import Cluster

    folder = tempfile.mkdtemp(prefix="songbridge-load-pg-")
    try:
        with Cluster(folder, durable=True) as cluster:
            yield cluster.create_database("load")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run(args) -> tuple[dict, object]:
    """Build the study, start the server(s), drive the participants, stop, check the database."""
    from evaluation.listening.study import DEFAULT_ATTRIBUTES

    attributes = list(DEFAULT_ATTRIBUTES)
    with tempfile.TemporaryDirectory(prefix="songbridge-load-") as data, database(args) as url:
        study = make_study(data=data, trials=args.trials, database_url=url)
        db = os.path.join(data, "db")
        ports = [args.port] + [free_port() for _ in range(args.replicas - 1)]  # the first as asked
        servers = [
            Server(data=db, port=port, bare=args.bare, conversions=args.conversions, database_url=url)
            for port in ports
        ]
        tally, conversions = Tally(), None
        try:
            start_s = max(server.start() for server in servers)
            if args.mode == "mixed":
                from evaluation.listening.loadtest.conversions import Conversions

                # to the last server: with replicas the first is the one killed for good
                conversions = Conversions(port=servers[-1].port, workers=args.conversions)
                conversions.start()
                while not conversions.done and not conversions.errors:  # the first one loads the converter
                    time.sleep(0.2)
            timing = asyncio.run(
                drive(
                    args,
                    servers=servers,
                    study=study,
                    attributes=attributes,
                    tally=tally,
                    conversions=conversions,
                )
            )
        finally:
            if conversions:
                conversions.stop()
            for server in servers:
                server.stop()
        result = check(
            data=db, study=study, tally=tally, attributes=attributes, url=url, amcheck=not args.database_url
        )
    timing["start_s"] = start_s
    if conversions:
        timing["conversions"] = len(conversions.done)
        timing["conversion_median_s"] = percentile(conversions.done, 50)
        timing["conversion_errors"] = len(conversions.errors)
    return {"tally": tally, **timing}, result


def report(args, outcome: dict, result) -> bool:
    tally: Tally = outcome["tally"]
    busy_s = outcome["wall_s"] - outcome.get("down_s", 0.0)
    lat = tally.latencies
    kind = "bare FastAPI routes" if args.bare else "the Gradio app with the listening routes"
    if args.replicas > 1:
        kind = f"{args.replicas} replicas of {kind} on one PostgreSQL"
    print(
        f"mode {args.mode}: {args.participants} participants × ({args.trials} trials + practice + catch), "
        f"0.5 s clips, server: {kind}, {os.cpu_count()} CPU cores shared with the load generator"
    )
    print(
        f"answers: {len(tally.acknowledged)} acknowledged in {outcome['wall_s']:.1f} s — "
        f"{len(tally.acknowledged) / busy_s:.1f} answers/s with the outage excluded "
        f"({tally.requests / busy_s:.0f} requests/s)"
    )
    print(
        f"answer latency: p50 {1000 * percentile(lat, 50):.0f} ms, p95 {1000 * percentile(lat, 95):.0f} ms, "
        f"p99 {1000 * percentile(lat, 99):.0f} ms (n={len(lat)}, round trips that did not wait out the restart)"
    )
    if "conversions" in outcome:
        busy = tally.busy_latencies
        print(
            f"while a conversion ran: p50 {1000 * percentile(busy, 50):.0f} ms, "
            f"p95 {1000 * percentile(busy, 95):.0f} ms, p99 {1000 * percentile(busy, 99):.0f} ms (n={len(busy)}); "
            f"{outcome['conversions']} conversions (world-sts, 5 s speech, built-in tune) finished, "
            f"median {outcome['conversion_median_s']:.1f} s; {outcome['conversion_errors']} attempts failed "
            "while the server was down (cut by the kill or refused before the restart)"
        )
    if "killed_port" in outcome:
        mid, waited = outcome["mid_study"], tally.waited_latencies
        print(
            f"SIGKILL of the replica on port {outcome['killed_port']} after {outcome['acknowledged_before']} "
            f"acknowledged answers (not restarted); {len(tally.interrupted)} participants met it and moved to "
            f"the next replica, {tally.retries} requests were sent again; {len(mid & tally.completed)} of the "
            f"{len(mid)} mid-study participants finished; answers that met the dead replica first: "
            f"n={len(waited)}, max {1000 * max(waited, default=0):.0f} ms"
        )
    if "down_s" in outcome:
        mid = outcome["mid_study"]
        print(
            f"SIGKILL after {outcome['acknowledged_before']} acknowledged answers; server back after "
            f"{outcome['down_s']:.1f} s (start took {outcome['start_s']:.1f} s at first); "
            f"{len(tally.interrupted)} participants met the dead server, {tally.retries} requests were sent again; "
            f"{len(mid & tally.completed)} of the {len(mid)} mid-study participants resumed and finished"
        )
    print(
        f"stored: {result.stored} trials, acknowledged: {result.acknowledged}; lost {result.lost}, "
        f"duplicated {result.duplicated}, incomplete {result.incomplete}, altered {result.altered}; "
        f"stored without acknowledgement {result.unacknowledged}; {tally.duplicates} retries answered "
        f"'already stored'; integrity check {result.integrity}"
    )
    print(
        f"assignment: {result.slots_reused} balanced slots given twice, {result.slots_skipped} skipped; "
        f"each (item, pair) assigned within ±{result.spread} of the others"
    )
    refused = ", ".join(f"{k}×{v}" for k, v in sorted(tally.refused.items())) or "none"
    print(f"refusals: {refused} {tally.first_refusal[:160]}")
    finished = len(tally.completed) == args.participants and not tally.failed
    print(
        f"participants: {len(tally.completed)} of {args.participants} finished"
        + (
            f"; gave up: {len(tally.failed)} ({next(iter(tally.failed.values()))[:160]})"
            if tally.failed
            else ""
        )
    )
    ok = result.ok and finished
    print("RESULT: " + ("nothing lost, nothing duplicated" if ok else "FAILED"))
    return ok


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m evaluation.listening.loadtest", description=__doc__.split("\n")[0]
    )
    p.add_argument("--mode", choices=MODES, default="paced")
    p.add_argument("--participants", type=int, default=200)
    p.add_argument(
        "--trials", type=int, default=8, help="test trials per participant (plus practice and catch)"
    )
    p.add_argument("--ramp-s", type=float, default=10.0, help="participants arrive over this many seconds")
    p.add_argument(
        "--conversions", type=int, default=2, help="conversions at once (server limit and senders)"
    )
    p.add_argument("--no-kill", dest="kill", action="store_false", help="do not SIGKILL the server midway")
    p.add_argument("--bare", action="store_true", help="FastAPI with the routes only, without Gradio")
    p.add_argument(
        "--port", type=int, default=7871, help="the first server's port (other replicas: free ones)"
    )
    p.add_argument("--replicas", type=int, default=1, help="app processes over one PostgreSQL database")
    p.add_argument(
        "--database-url",
        default=None,
        help="postgresql://… (default with --replicas > 1: a throwaway server)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--serve", metavar="DATA", help=argparse.SUPPRESS)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.serve:
        serve(data=args.serve, port=args.port, bare=args.bare)
        return 0
    if args.replicas < 1:
        raise SystemExit("--replicas must be at least 1")
    if args.mode == "mixed" and args.bare:
        raise SystemExit("--mode mixed needs the Gradio app (conversions): drop --bare")
    outcome, result = run(args)
    return 0 if report(args, outcome, result) else 1


if __name__ == "__main__":
    sys.exit(main())
