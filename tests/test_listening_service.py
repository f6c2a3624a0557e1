"""The service's bookkeeping: balanced slots go to listeners who consent, listening counts per trial,
and listener ids agree across the exported tables."""

import pytest

from evaluation.listening.export import answers_frame, progress_by_listener
from evaluation.listening.service import ListeningService
from evaluation.listening.store import Store
from tests.listening_server import Clock, make_study

PROFILE = {"headphones": "h", "native_language": "x", "musical_training": "0"}


@pytest.fixture
def service(tmp_path):
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
