"""The arena (``type: arena``): blind votes A / B / tie / both bad, the systems named only after the vote,
and a live leaderboard that ranks systems once they have enough decisive votes, counts only the
listeners screening keeps and says how many each gate removed; on SQLite and on PostgreSQL."""

import io
import json
import random
from dataclasses import dataclass

import numpy as np
import pytest
import soundfile
from fastapi import FastAPI
from fastapi.testclient import TestClient

from evaluation.listening.__main__ import main
from evaluation.listening.routes import build_router
from evaluation.listening.service import ListeningError, ListeningService
from evaluation.listening.store import Store
from evaluation.listening.study import StudyError, parse_study
from evaluation.listening.synthetic import write_folder, write_study
from models.base import Audio, ConversionResult, Task, option
from models.registry import ConverterSpec, Registry
from tests.listening_server import Clock

SYSTEMS, ITEMS = ["good", "fair", "poor"], ["i1", "i2", "i3", "i4"]
#: how often a listener prefers the first of a pair (by this order of quality)
QUALITY = {"good": 3, "fair": 2, "poor": 1}


def _arena(tmp_path, systems=SYSTEMS, **extra) -> ListeningService:
    folder = write_folder(root=str(tmp_path / "layout"), systems=systems, items=ITEMS, seconds=0.3)
    study = write_study(
        path=str(tmp_path / "arena.yaml"), folder=folder, study_id="arena", kind="arena", systems=systems,
        items=ITEMS, trials=6, catch_rate=0.0, participants={"per_address_per_hour": 1000}, **extra,
    )  # fmt: skip
    data = str(tmp_path / "data")
    assert main(["--data-dir", data, "init", study]) == 0
    return ListeningService(store=Store(root=data), clock=Clock())


def _vote(service: ListeningService, token: str, choose) -> list[dict]:
    """Listen to every pair of the session and vote ``choose(system_a, system_b)``; the replies."""
    replies = []
    while (nxt := service.state(token=token)["next"]) is not None:
        trial = service.store.query(
            "SELECT t.system_a, t.system_b, MAX(s.duration) AS longest FROM trials t JOIN stimuli s "
            "ON s.name IN (t.stimulus_a, t.stimulus_b) WHERE t.id = ? GROUP BY t.id, t.system_a, t.system_b",
            (nxt["trial_id"],),
        )[0]
        for event in ("play", "ended"):
            for slot in ("A", "B"):
                service.event(token=token, trial_id=nxt["trial_id"], slot=slot, event=event)
            service.clock.advance(trial["longest"] + 0.05)  # the clips' length passes between the reports
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
    assert study.questions == {} and study.arena == {"min_votes": 20, "uploads": False}
    assert parse_study(data={**base, "type": "arena", "arena": {"min_votes": 5}}, base_dir=".").arena == {
        "min_votes": 5,
        "uploads": False,
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
    assert (
        study.type == "arena"
        and len(study.systems) == 4
        and study.arena == {"min_votes": 20, "uploads": True}
    )
    assert study.generate is not None and set(study.generate.converters) == set(study.systems)


# -- a visitor's own recording (arena.uploads) ----------------------------------------------------------


@dataclass(frozen=True)
class GainOptions:
    gain: float = option(1.0, "output gain", minimum=0.1, maximum=4.0)


class Gain:
    """A stand-in converter: the input at its own level, for its own share of the melody's length (the
    two clips of a pair then differ in length, and must be padded to one size)."""

    task = Task.SPEECH_TO_SINGING
    needs_melody = True
    Options = GainOptions

    level, length = 1.0, 1.0

    def convert(self, audio, *, melody=None, options=None, progress=None):
        samples = np.resize(audio.samples, int(melody.duration * audio.sr * self.length)) * self.level
        return ConversionResult(
            audio=Audio(samples.astype(np.float32), audio.sr), input_mel=None, output_mel=None
        )


#: an arena that takes recordings names converters of the app (init checks); here a stand-in plays each
CONVERTERS = ["world-sts", "parekh-mse", "alignsts"]


class LoudAndLong(Gain):
    level, length = 1.5, 1.0


class SoftAndShort(Gain):
    level, length = 0.5, 0.6


class Plain(Gain):
    level, length = 1.0, 0.8


def gain_registry() -> Registry:
    factories = ("LoudAndLong", "SoftAndShort", "Plain")
    return Registry(
        [
            ConverterSpec(name, Task.SPEECH_TO_SINGING, name, "test", f"tests.test_listening_arena:{factory}")
            for name, factory in zip(CONVERTERS, factories, strict=True)
        ]
    )


def _upload_arena(tmp_path) -> ListeningService:
    service = _arena(tmp_path, systems=CONVERTERS, arena={"uploads": True})
    registry = gain_registry()
    return ListeningService(store=service.store, clock=service.clock, registry=lambda: registry)


def _speech(seconds: float = 2.0) -> bytes:
    buffer = io.BytesIO()
    t = np.arange(int(seconds * 16000)) / 16000
    soundfile.write(
        buffer, 0.2 * np.sin(2 * np.pi * 150 * t) * (1 + np.sin(2 * np.pi * 3 * t)), 16000, format="WAV"
    )
    return buffer.getvalue()


def test_a_visitors_recording_becomes_one_more_blind_pair_after_their_round(tmp_path, database):
    service = _upload_arena(tmp_path)
    token = service.start(study_id="arena")
    with pytest.raises(ListeningError, match="consent"):
        service.upload(token=token, data=_speech())
    service.consent(token=token, profile={})
    assert service.state(token=token)["study"]["uploads"] is True
    with pytest.raises(ListeningError, match="Vote on the pairs you have first") as refused:
        service.upload(token=token, data=_speech())
    assert refused.value.status == 409
    _vote(service, token, lambda a, b: "A")
    before = service.leaderboard(study_id="arena")
    added = service.upload(token=token, data=_speech())
    nxt = service.state(token=token)["next"]
    assert nxt["trial_id"] == added["trial_id"] and nxt["source"] and nxt["melody"] and nxt["b"]
    assert not any(system in json.dumps(nxt) for system in CONVERTERS)
    reply = _vote(service, token, lambda a, b: "A")[0]
    assert reply["stored"] and set(reply["revealed"].values()) <= set(CONVERTERS)
    assert reply["revealed"]["A"] != reply["revealed"]["B"]
    exported = service.answers(study_id="arena")
    assert list(exported.loc[exported["kind"] == "upload", "value"]) == ["A"]
    service._boards._boards.clear()
    after = service.leaderboard(study_id="arena")
    assert after["decisive_votes"] == before["decisive_votes"]  # the board counts the curated inputs only
    clips = service.store.query("SELECT kind, duration FROM stimuli WHERE item LIKE 'upload-%'")
    assert sorted(c["kind"] for c in clips) == ["melody", "output", "output", "source"]
    outputs = [c["duration"] for c in clips if c["kind"] == "output"]
    assert outputs[0] == outputs[1]  # the compared clips are one size (the converters' outputs were not)


def test_a_recording_that_cannot_be_used_is_refused_and_changes_nothing(tmp_path, database):
    service = _upload_arena(tmp_path)
    token = service.start(study_id="arena")
    service.consent(token=token, profile={})
    _vote(service, token, lambda a, b: "A")
    trials = len(service.store.query("SELECT id FROM trials"))
    for data, message in (
        (b"", "empty"),
        (b"not audio at all", "cannot be used"),
        (_speech(0.5), "cannot be used"),
    ):
        with pytest.raises(ListeningError, match=message) as refused:
            service.upload(token=token, data=data)
        assert refused.value.status == 422
    assert len(service.store.query("SELECT id FROM trials")) == trials
    for _ in range(3):
        service.upload(token=token, data=_speech())
        _vote(service, token, lambda a, b: "tie")
    with pytest.raises(ListeningError, match="3 recordings per round") as refused:
        service.upload(token=token, data=_speech())
    assert refused.value.status == 429


def test_uploads_are_off_unless_the_arena_turns_them_on_and_the_route_bounds_the_body(tmp_path, database):
    service = _arena(tmp_path)
    token = service.start(study_id="arena")
    service.consent(token=token, profile={})
    with pytest.raises(ListeningError, match="does not take recordings"):
        service.upload(token=token, data=_speech())
    app = FastAPI()
    app.include_router(build_router(service=service))
    client = TestClient(app)
    url = f"/listening/api/arena/upload?token={token}"
    assert client.post(url, content=b"x" * 4_000_001).status_code == 404  # refused before it is read


def test_a_recording_over_the_limit_is_refused_whether_its_length_is_declared_or_not(tmp_path, database):
    service = _upload_arena(tmp_path)
    app = FastAPI()
    app.include_router(build_router(service=service))
    client = TestClient(app)
    token = service.start(study_id="arena")
    service.consent(token=token, profile={})
    _vote(service, token, lambda a, b: "A")

    def chunks():  # no Content-Length: counted while read
        for _ in range(5):
            yield b"x" * 1_000_000

    url = f"/listening/api/arena/upload?token={token}"
    for body in (b"x" * 4_000_001, chunks()):
        refused = client.post(url, content=body)
        assert refused.status_code == 413, refused.text
    assert client.post(url, content=_speech()).status_code == 200
    again = client.post(url, content=_speech())  # its pair waits for the vote: refused before it is read
    assert again.status_code == 409 and "Vote on the pairs" in again.json()["error"]


def test_an_arena_that_takes_recordings_must_name_converters(tmp_path, capsys):
    folder = write_folder(root=str(tmp_path / "layout"), systems=SYSTEMS, items=ITEMS, seconds=0.3)
    study = write_study(
        path=str(tmp_path / "arena.yaml"), folder=folder, kind="arena", systems=SYSTEMS, items=ITEMS, trials=2,
        arena={"uploads": True},
    )  # fmt: skip
    assert main(["--data-dir", str(tmp_path / "data"), "init", study]) == 1
    assert "arena.uploads: the system(s) good, fair, poor are not converters" in capsys.readouterr().err


def test_the_researchers_report_of_an_arena_is_the_preference_analysis(tmp_path, database):
    service = _arena(tmp_path)
    rng = random.Random(3)
    for listener in range(5):
        token = service.start(study_id="arena", address=f"203.0.113.{listener}")
        service.consent(token=token, profile={})
        _vote(service, token, by_quality(rng))
    out = tmp_path / "report"
    assert (
        main(
            ["--data-dir", str(tmp_path / "data"), "analyze", "arena", "--out", str(out), "--resamples", "50"]
        )
        == 0
    )
    report = (out / "report.md").read_text()
    assert "Bradley" in report and all(system in report for system in SYSTEMS)
