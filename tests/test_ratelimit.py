"""The per-participant token bucket behind the answer path's 429s."""

from evaluation.listening.ratelimit import Rate, RateLimiter
from tests.listening_server import Clock


def test_a_burst_is_allowed_then_refused_until_the_bucket_refills():
    clock = Clock()
    limiter = RateLimiter(Rate(per_second=2.0, burst=3), clock=clock)
    assert [limiter.allow("p") for _ in range(5)] == [True, True, True, False, False]
    assert limiter.retry_after("p") == 0.5
    clock.advance(0.5)
    assert limiter.allow("p") and not limiter.allow("p")
    assert limiter.allow("q")  # another participant has a bucket of their own
    clock.advance(-100)  # a wall clock set back drains nothing: a minute later the bucket is full again
    assert not limiter.allow("p")
    clock.advance(60)
    assert [limiter.allow("p") for _ in range(4)] == [True, True, True, False]


def test_idle_buckets_are_forgotten_so_memory_stays_bounded():
    clock = Clock()
    limiter = RateLimiter(Rate(per_second=1.0, burst=2), clock=clock, max_keys=10)
    for k in range(10):
        limiter.allow(f"idle{k}")
    clock.advance(5)
    limiter.allow("new")
    assert len(limiter._buckets) == 1
