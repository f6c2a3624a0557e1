"""The arena (``type: arena``): blind votes A / B / tie / both bad, the systems named only after the vote,
and a live leaderboard that ranks systems once they have enough decisive votes, counts only the
listeners screening keeps and says how many each gate removed; on SQLite and on PostgreSQL."""

import json
import random

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from evaluation.listening.__main__ import main
from evaluation.listening.routes import build_router
from evaluation.listening.service import ListeningError, ListeningService
from evaluation.listening.store import Store
from evaluation.listening.study import StudyError, parse_study
from evaluation.listening.synthetic import write_folder, write_study
from tests.listening_server import Clock

SYSTEMS, ITEMS = ["good", "fair", "poor"], ["i1", "i2", "i3", "i4"]
#: how often a listener prefers the first of a pair (by this order of quality)
QUALITY = {"good": 3, "fair": 2, "poor": 1}


def _arena(tmp_path, **extra) -> ListeningService:
    folder = write_folder(root=str(tmp_path / "layout"), systems=SYSTEMS, items=ITEMS, seconds=0.3)
    study = write_study(
        path=str(tmp_path / "arena.yaml"), folder=folder, study_id="arena", kind="arena", systems=SYSTEMS,
        items=ITEMS, trials=6, catch_rate=0.0, participants={"per_address_per_hour": 1000}, **extra,
    )  # fmt: skip
    data = str(tmp_path / "data")
    assert main(["--data-dir", data, "init", study]) == 0
    return ListeningService(store=Store(root=data), clock=Clock())


def _vote(service: ListeningService, token: str, choose) -> list[dict]:
    """Listen to every pair of the session and vote ``choose(system_a, system_b)``; the replies."""
    replies = []
    while (nxt := service.state(token=token)["next"]) is not None:
        for event in ("play", "ended"):
            for slot in ("A", "B"):
                service.event(token=token, trial_id=nxt["trial_id"], slot=slot, event=event)
            service.clock.advance(0.5)
        trial = service.store.query("SELECT system_a, system_b FROM trials WHERE id = ?", (nxt["trial_id"],))[
            0
        ]
        value = choose(trial["system_a"], trial["system_b"])
        replies.append(
            {
                **service.answer(token=token, trial_id=nxt["trial_id"], values={"overall": value}),
                "trial": trial,
            }
        )
    return replies


def by_quality(rng=None, *, right: float = 0.8):
    """A voter who picks the better system of the pair, and the other one ``1 - right`` of the time."""
    rng = rng or random.Random(0)
    return lambda a, b: "AB"[(QUALITY[a] > QUALITY[b]) == (rng.random() >= right)]


def test_an_arena_study_file_has_its_own_defaults_and_checks(tmp_path):
    base = {"id": "a", "title": "t", "systems": ["x", "y"], "stimuli": {"folder": str(tmp_path)}}
    study = parse_study(data={**base, "type": "arena"}, base_dir=str(tmp_path))
    assert study.attributes == {"overall": "Which clip sounds better?"}
    assert study.questions == {} and study.arena == {"min_votes": 20}
    assert parse_study(data={**base, "type": "arena", "arena": {"min_votes": 5}}, base_dir=".").arena == {
        "min_votes": 5
    }
    for bad, message in (
        ({"type": "preference", "arena": {"min_votes": 5}}, "only a study of type 'arena'"),
        ({"type": "arena", "arena": {"min_votes": 0}}, "arena.min_votes"),
        ({"type": "arena", "arena": {"stars": 1}}, "arena.stars: unknown setting"),
        ({"type": "arena", "systems": ["x"]}, "an arena study compares at least two systems"),
    ):
        with pytest.raises(StudyError, match=message):
            parse_study(data={**base, **bad}, base_dir=str(tmp_path))


def test_a_vote_is_blind_and_the_reply_names_the_systems(tmp_path, database):
    service = _arena(tmp_path)
    token = service.start(study_id="arena")
    service.consent(token=token, profile={})
    state = service.state(token=token)
    assert not any(system in json.dumps(state) for system in SYSTEMS)  # nothing names a system before
    replies = _vote(service, token, lambda a, b: "both_bad")
    assert len(replies) == 7 and all(r["stored"] for r in replies)  # a practice pair and six votes
    for reply in replies:
        assert reply["revealed"] == {"A": reply["trial"]["system_a"], "B": reply["trial"]["system_b"]}
    stored = service.store.query("SELECT DISTINCT value FROM answers WHERE participant = ?", (token,))
    assert [r["value"] for r in stored] == ["both_bad"]


def test_both_bad_is_an_arena_answer_only(tmp_path, database):
    from tests.listening_server import PROFILE, make_study

    service = ListeningService(store=Store(root=make_study(tmp_path)), clock=Clock())
    token = service.start(study_id="demo")
    service.consent(token=token, profile=PROFILE)
    trial = service.state(token=token)["next"]["trial_id"]
    attributes = service.config(study_id="demo")["attributes"]
    with pytest.raises(ListeningError, match="one of A, B, tie") as refused:
        service.answer(token=token, trial_id=trial, values=dict.fromkeys(attributes, "both_bad"))
    assert refused.value.status == 422
    with pytest.raises(ListeningError, match="no public leaderboard"):
        service.leaderboard(study_id="demo")  # a blind study's results are the researcher's


def test_the_leaderboard_ranks_by_the_votes_after_enough_of_them_and_counts_the_screened(tmp_path, database):
    service = _arena(tmp_path, arena={"min_votes": 15})
    board = service.leaderboard(study_id="arena")
    assert board["decisive_votes"] == 0 and not any(r["ranked"] for r in board["systems"])
    rng = random.Random(7)
    for listener in range(8):
        token = service.start(study_id="arena", address=f"203.0.113.{listener}")
        service.consent(token=token, profile={})
        _vote(service, token, by_quality(rng))
    straight = service.start(study_id="arena", address="198.51.100.1")  # one answer everywhere
    service.consent(token=straight, profile={})
    _vote(service, straight, lambda a, b: "A")
    service._boards._boards.clear()  # the board is cached for FRESH_S seconds; a test does not wait
    board = service.leaderboard(study_id="arena")
    assert [r["system"] for r in board["systems"]] == ["good", "fair", "poor"]
    assert [r["rank"] for r in board["systems"]] == [1, 2, 3] and all(r["ranked"] for r in board["systems"])
    good = board["systems"][0]
    assert good["ci_low"] is not None and good["ci_low"] < good["score"] < good["ci_high"]
    assert board["listeners"] == 8  # the straight-liner's votes are not on the board
    gates = {g["gate"]: g["listeners"] for g in board["gates"]}
    assert gates["same answer everywhere"] == 1 and gates["screened out (any gate)"] == 1
    assert sum(r["votes"] for r in board["systems"]) == 2 * board["decisive_votes"] == 2 * 8 * 6


def test_a_system_short_of_votes_is_listed_unranked(tmp_path, database):
    service = _arena(tmp_path, arena={"min_votes": 1000})
    token = service.start(study_id="arena")
    service.consent(token=token, profile={})
    _vote(service, token, by_quality())
    board = service.leaderboard(study_id="arena")
    assert not any(r["ranked"] for r in board["systems"]) and all("rank" not in r for r in board["systems"])
    assert sum(r["votes"] for r in board["systems"]) == 2 * 6


def test_the_leaderboard_route_is_public_for_an_arena_and_absent_for_other_studies(tmp_path, database):
    service = _arena(tmp_path)
    app = FastAPI()
    app.include_router(build_router(service=service))
    client = TestClient(app)
    board = client.get("/listening/api/arena/arena/leaderboard")
    assert board.status_code == 200 and {r["system"] for r in board.json()["systems"]} == set(SYSTEMS)
    assert client.get("/listening/api/arena/nope/leaderboard").status_code == 404


def test_the_example_arena_study_file_is_valid():
    from evaluation.listening.study import load_study

    study = load_study(path="examples/study/arena.yaml")
    assert study.type == "arena" and len(study.systems) == 4 and study.arena == {"min_votes": 20}
    assert study.generate is not None and set(study.generate.converters) == set(study.systems)
