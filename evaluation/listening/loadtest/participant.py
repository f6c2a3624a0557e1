"""One simulated participant: the page's protocol over HTTP, with the retries a page would make.

A request that meets a dead server is sent again once the server is back, or at once to the next
replica when there are several (as a load balancer sends a dead backend's requests elsewhere); the
answer path is idempotent per trial: a repeated answer is acknowledged as a duplicate, never stored
twice. An answer counts as acknowledged when the server said 200, stored or duplicate.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from evaluation.listening.loadtest.http import Conn, Down

API = "/listening/api"
CLIP_S = 0.5
PROFILE = {"headphones": "headphones", "native_language": "x", "musical_training": "0"}


@dataclass
class Tally:
    """What every participant reports; read by the main loop and the final check."""

    latencies: list[float] = field(default_factory=list)  # answer round trips, seconds
    busy_latencies: list[float] = field(default_factory=list)  # those that ran while a conversion ran
    waited_latencies: list[float] = field(default_factory=list)  # answers that met the dead server first
    acknowledged: dict[int, dict[str, str]] = field(default_factory=dict)  # trial_id -> values
    tokens: dict[int, str] = field(default_factory=dict)  # participant number -> token
    duplicates: int = 0  # answers acknowledged as already stored (a retry after the crash)
    requests: int = 0
    refused: Counter = field(default_factory=Counter)  # status -> count
    first_refusal: str = ""
    retries: int = 0  # requests sent again because the server was down
    interrupted: set[int] = field(default_factory=set)  # participants who met the dead server
    completed: set[int] = field(default_factory=set)  # participants who got their completion code
    failed: dict[int, str] = field(default_factory=dict)  # participants who gave up, and why


def values_for(trial_id: int, attributes: list[str]) -> dict[str, str]:
    """Answers that differ per trial and attribute, so stored values can be checked against sent ones."""
    return {a: ("A", "B", "tie")[(trial_id + k) % 3] for k, a in enumerate(attributes)}


async def participant(
    n: int, *, ports: list[int], study: str, attributes: list[str], tally: Tally, listen: Callable[[], float],
    start_after: float, converting: Callable[[], bool], give_up_s: float = 180.0,
) -> None:  # fmt: skip
    replica = n % len(ports)  # participants spread evenly over the replicas
    conn = Conn("127.0.0.1", ports[replica])

    waited = False  # the last call met the dead server and waited for the restart

    async def call(method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        nonlocal waited, conn, replica
        waited, down_since = False, None
        while True:
            try:
                status, data = await conn.request(method, path, body)
            except Down:
                waited = True
                tally.interrupted.add(n)
                tally.retries += 1
                down_since = down_since or time.monotonic()
                if time.monotonic() - down_since > give_up_s:
                    raise
                if len(ports) > 1:  # fail over to the next replica
                    replica = (replica + 1) % len(ports)
                    conn.close()
                    conn = Conn("127.0.0.1", ports[replica])
                # wait before trying the same server again (one server, or every replica tried)
                await asyncio.sleep(0.5 if replica == n % len(ports) else 0.0)
                continue
            tally.requests += 1
            if status == 429:  # rate-limited: wait as told, then send it again
                tally.refused[status] += 1
                await asyncio.sleep(1.0)
                continue
            if status != 200:
                tally.refused[status] += 1
                tally.first_refusal = tally.first_refusal or f"{method} {path.split('?')[0]}: {status} {data}"
            return status, data

    await asyncio.sleep(start_after)
    replays = 0
    try:
        status, data = await call("POST", f"{API}/session", {"study": study})
        token = data["token"]
        tally.tokens[n] = token
        await call("POST", f"{API}/consent", {"token": token, "profile": PROFILE})
        while True:
            status, state = await call("GET", f"{API}/state?token={token}")
            if state["next"] is None:
                if state.get("code"):
                    tally.completed.add(n)
                return
            trial = state["next"]["trial_id"]
            for slot in ("A", "B"):
                await call(
                    "POST", f"{API}/event", {"token": token, "trial_id": trial, "slot": slot, "event": "play"}
                )
            await asyncio.sleep(CLIP_S + 0.02)
            for slot in ("A", "B"):
                await call(
                    "POST",
                    f"{API}/event",
                    {"token": token, "trial_id": trial, "slot": slot, "event": "ended"},
                )
            await asyncio.sleep(max(0.0, listen() - CLIP_S - 0.02))
            values = values_for(trial, attributes)
            body = {"token": token, "trial_id": trial, "values": values}
            while True:
                busy, started = converting(), time.perf_counter()
                status, result = await call("POST", f"{API}/answer", body)
                elapsed = time.perf_counter() - started
                if not waited:  # a round trip that did not wait out the restart
                    tally.latencies.append(elapsed)
                    if busy and converting():
                        tally.busy_latencies.append(elapsed)
                else:
                    tally.waited_latencies.append(elapsed)
                if status == 200:
                    tally.acknowledged[trial] = values
                    tally.duplicates += bool(result.get("duplicate"))
                    break
                if status == 409 and replays < 5:  # plays lost in the crash, or not heard long enough
                    replays += 1
                    break
                raise RuntimeError(f"answer refused: {status} {result}")
    except Exception as error:
        tally.failed[n] = f"{type(error).__name__}: {error}"
    finally:
        conn.close()


def paced(rng: random.Random, low: float = 2.0, high: float = 15.0) -> Callable[[], float]:
    """Listening time per trial, uniform from a few seconds to about fifteen."""
    return lambda: rng.uniform(low, high)


def burst() -> Callable[[], float]:
    """No pause: answer as soon as both clips have ended."""
    return lambda: CLIP_S + 0.02
