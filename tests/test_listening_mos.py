"""A MOS study end to end in the service: one clip per trial, 1–5 answers, a degraded anchor as catch."""

import pandas as pd
import pytest

from evaluation.listening.analysis import analyze
from evaluation.listening.export import answers_frame
from evaluation.listening.service import ListeningError, ListeningService
from evaluation.listening.store import Store
from tests.listening_server import Clock, make_study


def test_mos_listeners_rate_one_clip_and_the_anchor_is_a_catch_trial(tmp_path, database):
    data = make_study(tmp_path, kind="mos", trials=4, catch_rate=0.25)
    clock = Clock()
    service = ListeningService(store=Store(root=data), clock=clock)
    for listener in range(6):
        token = service.start(study_id="demo")
        service.consent(
            token=token, profile={"headphones": "h", "native_language": "x", "musical_training": "1"}
        )
        while (nxt := service.state(token=token)["next"]) is not None:
            assert nxt["b"] is None and nxt["a"]
            trial = service.store.query("SELECT kind, system_a FROM trials WHERE id = ?", (nxt["trial_id"],))[
                0
            ]
            service.event(token=token, trial_id=nxt["trial_id"], slot="A", event="play")
            if listener == 0:
                with pytest.raises(ListeningError, match="clip A"):
                    service.answer(token=token, trial_id=nxt["trial_id"], values={"naturalness": "3"})
            clock.advance(1.1)
            service.event(token=token, trial_id=nxt["trial_id"], slot="A", event="ended")
            with pytest.raises(ListeningError, match="one of 1, 2, 3, 4, 5"):
                service.answer(token=token, trial_id=nxt["trial_id"], values={"naturalness": "6"})
            score = (
                "1"
                if trial["kind"] == "catch"
                else {"sysA": "5", "sysB": "3", "sysC": "2"}[trial["system_a"]]
            )
            assert service.answer(token=token, trial_id=nxt["trial_id"], values={"naturalness": score})[
                "stored"
            ]
    frame = answers_frame(store=service.store, study_id="demo")
    catches = frame[frame["kind"] == "catch"]
    assert (
        len(catches) == 6 and set(catches["system_a"]) == {"_anchor"} and set(catches["expected"]) == {"low"}
    )
    result = analyze(answers=frame, study_type="mos", rules={"max_failed_catch": 0})
    mos = result.all["mos"].set_index("system")
    assert list(mos.index) == ["sysA", "sysB", "sysC"]  # the anchor is not a system of the study
    assert mos.loc["sysA", "mean"] == 5 and mos.loc["sysC", "mean"] == 2
    assert not result.screening["screened_out"].any()
    assert pd.api.types.is_float_dtype(mos["ci95_p808"])
