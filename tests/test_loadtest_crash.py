"""The load and crash benchmark, small: participants through the HTTP protocol, the server SIGKILLed
midway and restarted; every acknowledged answer is stored exactly once and every participant finishes.
Checks correctness only; timings are the benchmark's to print (results/reliability/loadtest.md)."""

from evaluation.listening.loadtest.__main__ import parser, report, run
from tests.listening_server import free_port


def small_run(capsys, *extra: str):
    """12 participants × 4 answers in burst against the bare routes, the kill midway; the report must pass."""
    args = parser().parse_args(
        ["--mode", "burst", "--participants", "12", "--trials", "3", "--ramp-s", "0.5", "--bare",
         "--port", str(free_port()), *extra]
    )  # fmt: skip
    outcome, result = run(args)
    assert report(args, outcome, result), capsys.readouterr().out
    return outcome, result


def test_a_sigkill_midway_loses_and_duplicates_nothing_and_participants_resume(capsys):
    outcome, result = small_run(capsys)
    tally = outcome["tally"]
    assert "down_s" in outcome and tally.interrupted, "the server should have been killed mid-study"
    assert result.acknowledged == result.stored == 12 * 4 and result.ok
    assert result.lost == result.duplicated == result.altered == 0
    assert outcome["mid_study"] and outcome["mid_study"] <= tally.completed  # those cut off finished after


def test_an_answer_retried_after_a_restart_is_acknowledged_and_stored_once(tmp_path, database):
    """The page's retry after a crash: the first attempt was committed but its reply died with the server."""
    from evaluation.listening.service import ListeningService
    from evaluation.listening.store import Store
    from tests.listening_server import Clock, make_study

    data, clock = make_study(tmp_path), Clock()
    before = ListeningService(store=Store(root=data), clock=clock)
    token = before.start(study_id="demo")
    before.consent(token=token, profile={"headphones": "h", "native_language": "x", "musical_training": "0"})
    trial = before.state(token=token)["next"]["trial_id"]
    for event in ("play", "ended"):
        for slot in ("A", "B"):
            before.event(token=token, trial_id=trial, slot=slot, event=event)
        clock.advance(1.1)
    attributes = before.config(study_id="demo")["attributes"]
    assert before.answer(token=token, trial_id=trial, values=dict.fromkeys(attributes, "A"))["stored"]
    before.store.close()  # the process dies here; the participant never saw the reply
    after = ListeningService(store=Store(root=data), clock=clock)
    retry = after.answer(token=token, trial_id=trial, values=dict.fromkeys(attributes, "A"))
    assert retry == {"stored": False, "duplicate": True}
    rows = after.store.query("SELECT attribute, value FROM answers WHERE trial_id = ?", (trial,))
    assert sorted(r["attribute"] for r in rows) == sorted(attributes) and {r["value"] for r in rows} == {"A"}
    assert after.state(token=token)["answered"] == 1  # and the participant resumes at the next trial


def test_replicas_on_postgresql_lose_nothing_when_one_is_killed_and_keep_the_assignment_balanced(capsys):
    """``--replicas 2`` over a throwaway PostgreSQL server: one replica SIGKILLed midway for good, its
    participants finish on the other; nothing lost or duplicated, no balanced slot given twice."""
    outcome, result = small_run(capsys, "--replicas", "2")
    tally = outcome["tally"]
    assert "killed_port" in outcome and tally.interrupted, "a replica should have been killed mid-study"
    assert result.acknowledged == result.stored == 12 * 4 and result.ok
    assert result.slots_reused == result.slots_skipped == 0 and result.spread <= 1
    assert outcome["mid_study"] and outcome["mid_study"] <= tally.completed
