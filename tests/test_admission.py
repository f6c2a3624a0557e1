"""One visitor cannot fill the conversion queue (issue 22, item 4): a script that queued 64 conversions in
0.2 s locked every other visitor out. Joins beyond a session's share are refused before they wait."""

import os

import numpy as np
import soundfile

from demo.admission import PER_SESSION
from tests.listening_server import launch_app

EXAMPLE = os.path.join(os.path.dirname(os.path.dirname(__file__)), "examples", "speech_arctic_slt_a0009.wav")


def test_a_flood_of_conversions_from_one_session_is_refused_and_others_still_get_in(tmp_path, monkeypatch):
    from gradio_client import Client, handle_file

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    app = launch_app(monkeypatch, str(tmp_path / "data"))
    try:
        inputs = {
            "note_text": "",
            "midi_file": None,
            "reference_recording": None,
            "api_name": "/convert_world_sts",
        }
        # 12 s of speech, so that each conversion lasts far longer than the eight joins take to arrive (with
        # the 3 s example, a busy CI machine once let conversions finish while the joins still came in)
        samples, sr = soundfile.read(EXAMPLE, dtype="float32")
        long_input = str(tmp_path / "long.wav")
        soundfile.write(long_input, np.tile(samples, 4), sr)
        flood = Client(app.local_url, verbose=False, analytics_enabled=False)
        jobs = [flood.submit(audio_path=handle_file(long_input), **inputs) for _ in range(8)]
        other = Client(app.local_url, verbose=False, analytics_enabled=False)
        theirs = other.submit(audio_path=handle_file(EXAMPLE), **inputs)
        refused = []
        for job in jobs:
            try:
                job.result(timeout=300)
            except Exception as error:  # gradio_client's ValidationError
                refused.append(str(error))
        # each conversion takes longer than the eight joins, so at most one more than the share gets in
        assert len(refused) >= 8 - PER_SESSION - 1, refused
        assert all("conversions waiting or running" in message for message in refused)
        assert str(theirs.result(timeout=300)[0]).endswith(".wav")  # another visitor is not locked out
    finally:
        app.close()


def _fake_queue(monkeypatch, pending, queued):
    """The validator against a stand-in queue: ``pending()`` the visible events, ``queued(since)`` the log
    of queued events; every request from one address."""
    from demo import admission as adm

    ledger = adm._Ledger()
    monkeypatch.setattr(adm, "_ledger", lambda request, concurrency_id: ledger)
    monkeypatch.setattr(adm, "_pending", lambda request, concurrency_id: pending())
    monkeypatch.setattr(adm, "_queued", lambda request, concurrency_id, since: queued(since))
    monkeypatch.setattr(adm, "client_address", lambda request: "198.51.100.7")
    return adm.admission("conversion")


def _session(name):
    from types import SimpleNamespace

    return SimpleNamespace(session_hash=name, request=None)


def test_joins_validated_side_by_side_cannot_pass_the_share_together(monkeypatch):
    """Eight joins of one session validated at once, none yet in the queue: only the share gets in (the
    flood test above once let 4 of 8 in on CI, each validator seeing the others not yet queued)."""
    import threading
    import time

    def slow_empty_queue():
        time.sleep(0.05)  # the time a validator takes to read the queue: the others run meanwhile
        return []

    admit = _fake_queue(monkeypatch, slow_empty_queue, lambda since: [])
    request = _session("flood")
    verdicts = []
    threads = [
        threading.Thread(target=lambda: verdicts.append(admit(None, None, None, request)[0]))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(v["is_valid"] for v in verdicts) == PER_SESSION
    assert all("2 conversions waiting or running" in v["message"] for v in verdicts if not v["is_valid"])
    # another session from the same address still gets in, up to the address's share
    assert admit(None, None, None, _session("neighbour"))[0]["is_valid"]


def test_quick_conversions_one_after_another_are_all_admitted(monkeypatch):
    """A visitor's conversions that each finish before the next is asked for never pile up: the log of
    queued events settles each admission even though the event has left the queue (a 3 s hold did not,
    and refused such visitors)."""
    import time

    log = []  # (event id, session, queued at): what Gradio's queue records on each join
    admit = _fake_queue(monkeypatch, lambda: [], lambda since: [e for e in log if e[2] >= since])
    visitor = _session("visitor")
    for n in range(6):
        assert admit(None, None, None, visitor)[0]["is_valid"], n
        log.append((f"event-{n}", "visitor", time.time()))  # queued, ran and finished before the next join


def test_a_queued_conversion_is_not_counted_twice(monkeypatch):
    """Once the queue shows an admitted conversion, its reservation goes: with one waiting, one more
    fits the share and the third does not."""
    import time
    from types import SimpleNamespace

    waiting, log = [], []
    admit = _fake_queue(monkeypatch, lambda: list(waiting), lambda since: [e for e in log if e[2] >= since])
    visitor = _session("visitor")
    assert admit(None, None, None, visitor)[0]["is_valid"]
    waiting.append(SimpleNamespace(session_hash="visitor", request=None))
    log.append(("event-0", "visitor", time.time()))
    assert admit(None, None, None, visitor)[0]["is_valid"]
    third = admit(None, None, None, visitor)[0]
    assert not third["is_valid"] and "2 conversions waiting or running" in third["message"]


def test_an_admission_whose_event_never_came_expires_instead_of_holding_the_share(monkeypatch):
    """A join admitted but never queued (its push failed after validation) holds a place only until its
    reservation expires: the session's next event settles that join's own reservation, not the lost one."""
    from types import SimpleNamespace

    from demo import admission as adm

    clock = [1000.0]
    monkeypatch.setattr(adm.time, "time", lambda: clock[0])
    waiting, log = [], []
    admit = _fake_queue(monkeypatch, lambda: list(waiting), lambda since: [e for e in log if e[2] >= since])
    visitor = _session("visitor")
    assert admit(None, None, None, visitor)[0]["is_valid"]  # admitted; its event never reaches the queue
    clock[0] += 1
    assert admit(None, None, None, visitor)[0]["is_valid"]  # admitted; its event is queued and runs on
    log.append(("event-1", "visitor", clock[0] + 0.01))
    waiting.append(SimpleNamespace(session_hash="visitor", request=None))
    clock[0] += 1
    assert admit(None, None, None, _session("neighbour"))[0]["is_valid"]  # a validation sees the event logged
    clock[0] += adm.RESERVATION_TTL_S - 1.5  # the lost join's reservation has expired, the second's has not
    assert admit(None, None, None, visitor)[0]["is_valid"]  # 1 running, nothing pending: a second fits
