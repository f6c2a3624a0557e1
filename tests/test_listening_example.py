"""The README's example study validates, and a generate: block with the real WORLD converter imports."""

import shutil

from evaluation.listening.__main__ import main
from evaluation.listening.store import Store
from tests.conftest import SPEECH_EXAMPLE


def test_the_readme_example_study_inits_in_a_fresh_clone(tmp_path):
    """`python -m evaluation.listening init examples/study/preference.yaml` as the README says: it makes
    its stimuli from the bundled examples (no folder to prepare) and imports them."""
    examples = tmp_path / "examples"
    shutil.copytree("examples", examples, ignore=shutil.ignore_patterns("generated"))
    data = tmp_path / "data"
    assert main(["--data-dir", str(data), "init", str(examples / "study" / "preference.yaml")]) == 0
    rows = Store(root=str(data)).query("SELECT * FROM stimuli")
    systems = {r["system"] for r in rows if r["kind"] == "output"}
    assert systems == {"world-sts", "parekh-mtl", "alignsts"}
    assert {r["item"] for r in rows} == {"arctic_a0007", "arctic_a0009"}
    assert (examples / "study" / "generated" / "alignsts" / "arctic_a0009.wav").stat().st_size > 10000


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
    kinds = sorted(r["kind"] for r in Store(root=str(tmp_path / "d")).query("SELECT kind FROM stimuli"))
    assert kinds == ["anchor", "melody", "output", "source"]
    assert (tmp_path / "out" / "world-sts" / "a0009.wav").stat().st_size > 10000
