"""One visitor cannot fill the conversion queue (issue 22, item 4): a script that queued 64 conversions in
0.2 s locked every other visitor out. Joins beyond a session's share are refused before they wait."""

import os

import numpy as np
import pytest
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


@pytest.mark.xfail(
    strict=True,
    reason="known race (5 Dec 2026): validators of joins that arrive together each see the others not yet "
    "queued, so all pass; a lock with a time window over admissions refused a visitor's quick sequential "
    "conversions instead (26 tests red), so it was not kept",
)
def test_joins_validated_side_by_side_cannot_pass_the_share_together(monkeypatch):
    """Eight joins of one session validated at once, none yet in the queue: only the share should get in (the
    flood test above once let 4 of 8 in on CI)."""
    import threading
    import time
    from types import SimpleNamespace

    from demo import admission as adm

    def slow_empty_queue(request, concurrency_id):
        time.sleep(0.05)  # the time a validator takes to read the queue: the others run meanwhile
        return []

    monkeypatch.setattr(adm, "_pending", slow_empty_queue)
    monkeypatch.setattr(adm, "client_address", lambda request: "198.51.100.7")
    admit = adm.admission("conversion")
    request = SimpleNamespace(session_hash="flood", request=None)
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
    other = SimpleNamespace(session_hash="neighbour", request=None)
    assert admit(None, None, None, other)[0]["is_valid"]
