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


def test_the_answer_path_refuses_a_flood_of_play_reports_with_429(tmp_path):
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from evaluation.listening.routes import build_router
    from evaluation.listening.service import ListeningService
    from evaluation.listening.store import Store
    from tests.listening_server import PROFILE, make_study

    clock = Clock()  # frozen: the bucket refills only when the test says so
    service = ListeningService(store=Store(root=make_study(tmp_path, seconds=0.5)), clock=clock)
    token = service.start(study_id="demo")
    service.consent(token=token, profile=PROFILE)
    trial = service.state(token=token)["next"]["trial_id"]
    app = FastAPI()
    app.include_router(build_router(service=service, event_rate=Rate(per_second=10.0, burst=30)))
    with TestClient(app) as client:
        body = {"token": token, "trial_id": trial, "slot": "A", "event": "play"}
        statuses = [client.post("/listening/api/event", json=body).status_code for _ in range(31)]
        assert statuses[:30] == [200] * 30 and statuses[30] == 429
        clock.advance(0.15)  # more than one report's worth of refill (0.1 s is one, up to float rounding)
        assert client.post("/listening/api/event", json=body).status_code == 200
