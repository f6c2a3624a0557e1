"""Per-client request limits: a token bucket per (participant, kind) for the answer path, and who a
client is (:func:`client_address`, behind the proxies the deployment trusts).

An honest listener cannot answer faster than the clips play (the service enforces that), so these
limits only bite on scripts: a flood of answers or play reports from one link is refused with 429
before it reaches the database. Buckets live in memory; a restart forgets them, which is harmless.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from evaluation.listening import settings


@dataclass(frozen=True)
class Rate:
    per_second: float  # sustained requests per second
    burst: int  # requests allowed at once after a quiet spell


#: answers: a 0.5 s clip pair allows about 2 per second; events: play and ended of A and B per trial
ANSWER_RATE = Rate(per_second=2.0, burst=6)
EVENT_RATE = Rate(per_second=10.0, burst=30)


class RateLimiter:
    def __init__(self, rate: Rate, *, clock: Callable[[], float] = time.monotonic, max_keys: int = 50_000):
        self.rate, self.clock, self.max_keys = rate, clock, max_keys
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """Take one request from ``key``'s bucket; False when it is empty."""
        now = self.clock()
        with self._lock:
            tokens, at = self._buckets.get(key, (float(self.rate.burst), now))
            # max(0, …): a wall clock set back must not drain the bucket
            tokens = min(float(self.rate.burst), tokens + max(0.0, now - at) * self.rate.per_second)
            allowed = tokens >= 1.0
            self._buckets[key] = (tokens - 1.0 if allowed else tokens, now)
            if len(self._buckets) > self.max_keys:
                self._forget_idle(now)
            return allowed

    def retry_after(self, key: str) -> float:
        """Seconds until ``key`` may send one more request."""
        tokens, _ = self._buckets.get(key, (float(self.rate.burst), 0.0))
        return max(0.0, (1.0 - tokens) / self.rate.per_second)

    def _forget_idle(self, now: float) -> None:
        """Drop buckets that have refilled (their owners went quiet): memory stays bounded."""
        full = self.rate.burst / self.rate.per_second
        for key in [k for k, (_, at) in self._buckets.items() if now - at >= full]:
            del self._buckets[key]


def client_address(request) -> str | None:
    """The caller's network address (``request``: a Starlette request): the entry the nearest trusted
    proxy appended to X-Forwarded-For, else the connection's peer."""
    hops = settings.proxy_hops()
    forwarded = [a.strip() for a in request.headers.get("x-forwarded-for", "").split(",") if a.strip()]
    if hops and forwarded:
        return forwarded[-min(hops, len(forwarded))]
    return request.client.host if request.client else None
