"""`python -m evaluation.listening`: init imports, resamples, loudness-matches and hides the stimuli;
status, export (CSV, Parquet), analyze and backup run on the result."""

import os

import numpy as np
import pandas as pd
import pyloudnorm
import soundfile

from evaluation.listening.__main__ import main
from evaluation.listening.stimuli import render_melody
from evaluation.listening.store import Store
from evaluation.listening.synthetic import write_folder, write_study

SYSTEMS, ITEMS = ["sysA", "sysB", "sysC"], ["song1", "song2"]


def test_init_imports_matched_opaque_stimuli_and_the_other_commands_run(tmp_path, capsys, database):
    folder = write_folder(root=str(tmp_path / "layout"), systems=SYSTEMS, items=ITEMS, seconds=1.0, sr=16000)
    study = write_study(path=str(tmp_path / "s.yaml"), folder=folder, systems=SYSTEMS, items=ITEMS)
    data = str(tmp_path / "data")
    assert main(["--data-dir", data, "init", study]) == 0
    assert "Study 'demo' ready" in capsys.readouterr().out
    store = Store(root=data)
    rows = store.query("SELECT * FROM stimuli")
    # per item: each system's output and its catch-trial twin, the reference, the source and the melody
    assert len(rows) == len(ITEMS) * (2 * len(SYSTEMS) + 3)
    assert {r["kind"] for r in rows} == {"output", "twin", "reference", "source", "melody"}
    for item in ITEMS:  # the clips a listener compares are one size
        compared = {
            r["duration"] for r in rows if r["item"] == item and r["kind"] in ("output", "twin", "reference")
        }
        assert len(compared) == 1
    files = os.listdir(store.stimuli_dir("demo"))
    assert sorted(files) == sorted(r["name"] for r in rows)
    assert not any(s.lower() in name.lower() or i in name for name in files for s in SYSTEMS for i in ITEMS)
    for name in files:
        samples, sr = soundfile.read(os.path.join(store.stimuli_dir("demo"), name))
        assert sr == 22050
        kind = next(r["kind"] for r in rows if r["name"] == name)
        target = -29 if kind == "melody" else -23  # the reference tone is 6 LU softer
        assert abs(pyloudnorm.Meter(sr).integrated_loudness(samples) - target) < 0.5
    # A second init is refused without --replace, and the error is a sentence, not a traceback.
    assert main(["--data-dir", data, "init", study]) == 1
    assert "exists; run init with --replace" in capsys.readouterr().err
    assert main(["--data-dir", data, "status", "demo"]) == 0
    assert "demo" in capsys.readouterr().out
    for fmt in ("csv", "parquet"):
        out = str(tmp_path / f"answers.{fmt}")
        assert main(["--data-dir", data, "export", "demo", "--format", fmt, "--out", out]) == 0
        frame = pd.read_csv(out) if fmt == "csv" else pd.read_parquet(out)
        assert "system_a" in frame.columns and len(frame) == 0
    assert (
        main(["--data-dir", data, "analyze", "demo", "--out", str(tmp_path / "rep"), "--resamples", "10"])
        == 0
    )
    assert (tmp_path / "rep" / "report.md").exists()
    backup = tmp_path / ("b.sqlite" if database == "sqlite" else "b.dump")
    assert main(["--data-dir", data, "backup", "--out", str(backup)]) == 0
    # SQLite's online backup is a database file; PostgreSQL's is pg_dump's custom archive
    assert backup.read_bytes()[:5] == (b"SQLit" if database == "sqlite" else b"PGDMP")


def test_bad_study_file_is_one_line_on_stderr(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\ntype: abx\n")
    assert main(["--data-dir", str(tmp_path / "d"), "init", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: The study file has problems") and "type: 'abx'" in err
    assert "Traceback" not in err


def test_a_note_text_melody_becomes_a_tone_at_its_pitches(tmp_path):
    path = tmp_path / "melody.txt"
    path.write_text("69:0.5 r:0.2 81:0.5")
    sr = 16000
    tone = render_melody(path=str(path), sr=sr)
    assert abs(len(tone) / sr - 1.3) < 0.01 and np.max(np.abs(tone)) <= 0.31
    for start, expected in ((0.1, 440), (0.8, 880)):
        seg = tone[int(start * sr) : int((start + 0.3) * sr)]
        spectrum = np.abs(np.fft.rfft(seg * np.hanning(len(seg))))
        assert abs(np.argmax(spectrum) * sr / len(seg) - expected) < 10
    assert np.max(np.abs(tone[int(0.55 * sr) : int(0.65 * sr)])) < 1e-6  # the rest is silent


def test_too_many_trials_for_the_items_found_is_refused_at_init(tmp_path, capsys):
    folder = write_folder(root=str(tmp_path / "layout"), systems=SYSTEMS[:2], items=ITEMS[:1], seconds=0.5)
    study = write_study(path=str(tmp_path / "s.yaml"), folder=folder, systems=SYSTEMS[:2], items=[], trials=3)
    assert main(["--data-dir", str(tmp_path / "d"), "init", study]) == 1
    assert "trials_per_listener: 3 is more than the 1 conditions" in capsys.readouterr().err
