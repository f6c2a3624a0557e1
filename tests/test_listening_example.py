"""The README's example study validates, and a generate: block with the real WORLD converter imports."""

from pathlib import Path

import yaml

from evaluation.listening.__main__ import main
from evaluation.listening.store import Store
from evaluation.listening.study import parse_study
from tests.conftest import SPEECH_EXAMPLE


def test_the_example_study_file_is_valid(tmp_path):
    data = yaml.safe_load(Path("examples/study/preference.yaml").read_text())
    data["stimuli"]["folder"] = str(tmp_path)  # where a user's converted outputs would be
    study = parse_study(data=data, base_dir="examples/study")
    assert study.type == "preference" and len(study.pairs) == 3 and study.catch_rate == 0.15


def test_init_generates_with_world_sts_and_imports_the_outputs(tmp_path, capsys):
    (tmp_path / "tune.txt").write_text("tempo=120: C4/4 E4/4 G4/4")
    (tmp_path / "s.yaml").write_text(
        "id: gen\ntitle: WORLD\ntype: mos\nsystems: [world-sts]\ntrials_per_listener: 1\n"
        "stimuli:\n  folder: out\n  generate:\n    converters: {world-sts: {vibrato_extent_cents: 50}}\n"
        f"    items: {{a0009: {{source: {SPEECH_EXAMPLE}, melody: tune.txt}}}}\n"
    )
    assert main(["--data-dir", str(tmp_path / "d"), "init", str(tmp_path / "s.yaml")]) == 0, (
        capsys.readouterr()
    )
    kinds = sorted(r["kind"] for r in Store(root=str(tmp_path / "d")).db["stimuli"].rows)
    assert kinds == ["anchor", "melody", "output", "source"]
    assert (tmp_path / "out" / "world-sts" / "a0009.wav").stat().st_size > 10000
