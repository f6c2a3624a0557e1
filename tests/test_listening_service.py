"""The service's bookkeeping: balanced slots go to listeners who consent, listening counts per trial,
and listener ids agree across the exported tables."""

import pytest

from evaluation.listening.assign import plan_listener
from evaluation.listening.export import answers_frame, progress_by_listener, studies
from evaluation.listening.screening import screening
from evaluation.listening.service import ListeningError, ListeningService
from evaluation.listening.store import Store
from tests.listening_server import Clock, make_study

PROFILE = {"headphones": "h", "native_language": "x", "musical_training": "0"}


@pytest.fixture
def service(tmp_path, database):  # each test on SQLite and on PostgreSQL
    return ListeningService(store=Store(root=make_study(tmp_path)), clock=Clock())


def trials_of(service, token):
    return service.store.query("SELECT * FROM trials WHERE participant = ? ORDER BY position", (token,))


def listen_and_answer(service, token, trial_id, value="A"):
    for slot in ("A", "B"):
        service.event(token=token, trial_id=trial_id, slot=slot, event="play")
        service.clock.advance(1.05)
        service.event(token=token, trial_id=trial_id, slot=slot, event="ended")
    attributes = service.config(study_id="demo")["attributes"]
    return service.answer(token=token, trial_id=trial_id, values=dict.fromkeys(attributes, value))


def test_a_session_that_never_consents_takes_no_balanced_slot(service):
    idle = [service.start(study_id="demo") for _ in range(3)]  # pages opened and left
    token = service.start(study_id="demo")
    assert all(not trials_of(service, t) for t in [*idle, token])
    service.consent(token=token, profile=PROFILE)
    service.consent(token=token, profile=PROFILE)  # consenting again plans nothing new
    cfg = service.config(study_id="demo")
    first = plan_listener(
        kind=cfg["type"], items=cfg["items"], systems=cfg["systems"], seed=cfg["seed"], seq=0,
        trials=cfg["trials"], catch_rate=cfg["catch_rate"],
    )  # fmt: skip
    got = [(t["kind"], t["item"], t["system_a"], t["system_b"]) for t in trials_of(service, token)]
    assert got == [(p.kind, p.item, p.system_a, p.system_b) for p in first]  # the cycle's first slot
    assert studies(store=service.store)["started"].tolist() == [1]


def test_plays_before_the_previous_answer_do_not_count(service):
    token = service.start(study_id="demo")
    service.consent(token=token, profile=PROFILE)
    first, second = (t["id"] for t in trials_of(service, token)[:2])
    # Plays of the second trial stored before the first was answered (as the old server allowed).
    for slot in ("A", "B"):
        for kind, at in (("play", 0.0), ("ended", 2.0)):
            with service.store.transaction() as db:
                db.insert(
                    "play_events",
                    {
                        "trial_id": second,
                        "participant": token,
                        "slot": slot,
                        "event": kind,
                        "at": service.clock() + at,
                    },
                )
    service.clock.advance(5)
    assert listen_and_answer(service, token, first)["stored"]
    attributes = service.config(study_id="demo")["attributes"]
    with pytest.raises(ListeningError, match="clip A"):
        service.answer(token=token, trial_id=second, values=dict.fromkeys(attributes, "A"))
    assert listen_and_answer(service, token, second)["stored"]


def test_listener_ids_agree_between_answers_and_progress(service):
    first, second = service.start(study_id="demo"), service.start(study_id="demo")
    for token in (first, second):
        service.consent(token=token, profile=PROFILE)
    # The second listener (seq 1) answers before the first one does.
    listen_and_answer(service, second, trials_of(service, second)[0]["id"])
    listen_and_answer(service, first, trials_of(service, first)[0]["id"], value="B")
    frame = answers_frame(store=service.store, study_id="demo")
    progress = progress_by_listener(store=service.store, study_id="demo").set_index("seq")
    by_value = frame.drop_duplicates("value").set_index("value")["participant"]
    assert by_value["A"] == progress.loc[1, "listener"] == "L0002"
    assert by_value["B"] == progress.loc[0, "listener"] == "L0001"


def test_playing_a_and_b_at_once_is_screened_as_faster_than_the_clips(service):
    attributes = service.config(study_id="demo")["attributes"]
    for together in (True, False):
        token = service.start(study_id="demo")
        service.consent(token=token, profile=PROFILE)
        for trial in trials_of(service, token):
            if together:  # both clips at once: each "ended" after its length, the pair in half the time
                for kind in ("play", "ended"):
                    for slot in ("A", "B"):
                        service.event(token=token, trial_id=trial["id"], slot=slot, event=kind)
                    service.clock.advance(1.05 if kind == "play" else 0)
                service.answer(token=token, trial_id=trial["id"], values=dict.fromkeys(attributes, "tie"))
            else:
                listen_and_answer(service, token, trial["id"], value="tie")
    frame = answers_frame(store=service.store, study_id="demo")
    screen = screening(answers=frame, rules=service.config(study_id="demo")["screening"])
    fast = screen.set_index("participant")["fast_decisions"].to_dict()
    assert fast == {"L0001": 5, "L0002": 0}  # every trial but the practice one of L0001
