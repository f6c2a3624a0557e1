"""The load and crash benchmark, small: participants through the HTTP protocol, the server SIGKILLed
midway and restarted; every acknowledged answer is stored exactly once and every participant finishes.
Checks correctness only; timings are the benchmark's to print (results/reliability/loadtest.md)."""

from evaluation.listening.loadtest.__main__ import parser, report, run
from tests.listening_server import free_port


def test_a_sigkill_midway_loses_and_duplicates_nothing_and_participants_resume(capsys):
    args = parser().parse_args(
        ["--mode", "burst", "--participants", "12", "--trials", "3", "--ramp-s", "0.5", "--bare",
         "--port", str(free_port())]
    )  # fmt: skip
    outcome, result = run(args)
    assert report(args, outcome, result), capsys.readouterr().out
    tally = outcome["tally"]
    assert "down_s" in outcome and tally.interrupted, "the server should have been killed mid-study"
    assert result.acknowledged == result.stored == 12 * 4 and result.ok
    assert result.lost == result.duplicated == result.altered == 0
    assert outcome["mid_study"] and outcome["mid_study"] <= tally.completed  # those cut off finished after
