"""The admin tab's plain-language summary and readable report (demo/report_summary.py), on simulated
votes whose answer is known."""

import numpy as np
import pandas as pd
import pytest

from demo.report_summary import p_text, readable_report, summary, with_summary, without_section
from evaluation.listening.analysis import analyze
from tests.test_listening_analysis import votes


@pytest.mark.parametrize(
    ("p", "text"),
    [(1.94e-10, "p < 0.001"), (0.0004, "p < 0.001"), (0.0042, "p = 0.004"), (0.031, "p = 0.03"),
     (0.5, "p = 0.50"), (float("nan"), ""), (None, "")],
)  # fmt: skip
def test_p_values_read_as_people_write_them(p, text):
    assert p_text(p) == text


def test_a_clear_winner_and_a_tie_are_told_apart_in_words(rng):
    clear = votes(rng, {"good": 8, "bad": 2}, listeners=12, per_listener=10, attribute="naturalness")
    even = votes(rng, {"good": 1, "bad": 1}, listeners=12, per_listener=10, attribute="melody")
    text = summary(analyze(answers=pd.concat([clear, even]), study_type="preference", rules={}, resamples=50))
    lines = {}  # the first line per attribute: the preference, before the overall order
    for line in text.splitlines():
        if line.startswith("- **"):
            lines.setdefault(line.split("**")[1], line)
    assert "good over bad" in lines["naturalness"] and "a clear difference" in lines["naturalness"]
    assert "p < 0.001" in lines["naturalness"]
    assert "not clear yet" in lines["melody"]
    assert "12 listeners took part" in text and "e-" not in text


def test_few_listeners_are_said_to_be_too_few_and_mos_names_the_best_rated(rng):
    few = votes(rng, {"good": 8, "bad": 2}, listeners=3, per_listener=6)
    text = summary(analyze(answers=few, study_type="preference", rules={}, resamples=20))
    assert "fewer than 6 listeners cannot show a clear difference" in text
    ratings = few.assign(value=np.where(few["system_a"] == "good", "5", "2"), system_b=None)
    ratings["value"] = np.where(rng.random(len(ratings)) < 0.2, "3", ratings["value"])  # not straight-lining
    text = summary(analyze(answers=ratings, study_type="mos", rules={}, resamples=20))
    line = next(line for line in text.splitlines() if line.startswith("- **nat**"))
    assert line.index("good") < line.index("bad")  # best first


def test_the_summary_survives_missing_columns(rng):
    result = analyze(answers=votes(rng, {"a": 2, "b": 1}, listeners=6, per_listener=6), study_type="preference",
                     rules={}, resamples=20)  # fmt: skip
    for name in list(result.all):
        result.all[name] = result.all[name].drop(
            columns=["p_holm", "ci_low", "x", "ci_rank", "note"], errors="ignore"
        )
    result.kept = {}
    text = summary(result)
    assert "a over b" in text and "Overall order" in text


def test_the_report_reads_without_scientific_notation_and_its_images_are_inlined(tmp_path):
    (tmp_path / "bt.png").write_bytes(b"\x89PNG\r\n\x1a\nfake")
    report = "\n".join(
        [
            "# Study", "", "## Listener screening", "", "| participant | trials |", "|---|---|", "| p1 | 4 |", "",
            "## All listeners", "", "| system | score | p | p_holm |", "|---|---|---|---|",
            "| a | 1.94e-10 | 3.20e-05 | 0.012 |", "| b | -2.00e-12 | 0.250 | 1.000 |", "", "![bt](bt.png)",
            "![gone](missing.png)",
        ]
    )  # fmt: skip
    out = readable_report(without_section(report, "## Listener screening"), figures_dir=str(tmp_path))
    assert "| a | 0.000 | < 0.001 | 0.012 |" in out and "| b | 0.000 | 0.250 | 1.000 |" in out
    assert "e-" not in out.replace("data:image", "")
    assert "![bt](data:image/png;base64," in out and "![gone](missing.png)" in out
    assert "Listener screening" not in out and "participant" not in out and "## All listeners" in out
    combined = with_summary(out, "## Summary\n\nwords")
    assert combined.index("# Study") < combined.index("## Summary") < combined.index("## All listeners")


def test_a_row_wider_than_its_header_keeps_every_cell():
    report = "| system | p |\n|---|---|\n| a | 1.94e-10 | 2.5e-07 |\n"
    assert "| a | < 0.001 | 0.000 |" in readable_report(report)
