"""Hostile study files through ``python -m evaluation.listening init``: each is refused with a message
naming what is wrong, and the data directory (database rows and files) is left exactly as it was."""

from __future__ import annotations

import os

import pytest
import yaml

from evaluation.listening.__main__ import main
from evaluation.listening.synthetic import write_folder, write_study
from tests.listening_server import ITEMS, SYSTEMS, snapshot, study_with_an_answer


def _edit(**changes):
    def apply(study: dict, folder: str) -> dict:
        return {**study, **changes}

    return apply


def _remove_a_stimulus(study, folder):
    os.remove(os.path.join(folder, SYSTEMS[1], f"{ITEMS[0]}.wav"))
    return study


def _link_out_of_the_folder(study, folder):
    """A stimulus that is a symlink out of the folder (to a clip of another study's stimuli here)."""
    target = os.path.join(folder, SYSTEMS[0], f"{ITEMS[0]}.wav")
    os.remove(target)
    os.symlink(os.path.join(folder, "..", "outside.wav"), target)
    os.replace(os.path.join(folder, SYSTEMS[1], f"{ITEMS[1]}.wav"), os.path.join(folder, "..", "outside.wav"))
    os.symlink(os.path.join(folder, "..", "outside.wav"), os.path.join(folder, SYSTEMS[1], f"{ITEMS[1]}.wav"))
    return study


def _generate_from_outside(study, folder):
    return {**study, "stimuli": {"generate": {"converters": {s: {} for s in SYSTEMS},
            "items": {"a": {"source": "../../../etc/shadow-not-here.wav"}}}}}  # fmt: skip


CASES = [
    ("unknown-keys", _edit(colour="blue", trials=3), "colour: unknown key"),
    ("missing-stimuli", _remove_a_stimulus, "Missing stimulus file"),
    ("duplicate-items", _edit(items=[ITEMS[0], ITEMS[0]]), "items: names repeat"),
    ("duplicate-systems", _edit(systems=[SYSTEMS[0], SYSTEMS[0]]), "systems: names repeat"),
    ("item-path-leaving-the-folder", _edit(items=["../../data/listening"]), "must be a name"),
    ("system-path-leaving-the-folder", _edit(systems=["..", SYSTEMS[1]]), "must be a name"),
    ("symlink-leaving-the-folder", _link_out_of_the_folder, "leads outside the stimuli folder"),
    ("generate-source-outside", _generate_from_outside, "does not exist"),
    ("no-folder", _edit(stimuli={"folder": "/nonexistent/songbridge"}), "is not a folder"),
    ("not-a-mapping", lambda s, f: [s], "must be a mapping"),
    ("too-many-trials", _edit(trials_per_listener=99), "trials_per_listener: 99 is more than"),
    ("existing-study-with-answers", _edit(), "already has answers"),
]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """A data directory whose study 'demo' already has an answer."""
    return study_with_an_answer(tmp_path_factory.mktemp("studies"), "B")


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_a_hostile_study_file_is_refused_by_key_and_changes_nothing(case, data, tmp_path, capsys):
    name, edit, message = case
    folder = write_folder(root=str(tmp_path / "layout"), systems=SYSTEMS, items=ITEMS, seconds=0.5)
    path = write_study(path=str(tmp_path / "s.yaml"), folder=folder, study_id="demo" if name.startswith("existing")
                       else "fresh", systems=SYSTEMS, items=ITEMS, trials=4)  # fmt: skip
    with open(path) as f:
        study = yaml.safe_load(f)
    with open(path, "w") as f:
        yaml.safe_dump(edit(study, folder), f)
    before = snapshot(data)
    capsys.readouterr()
    assert main(["--data-dir", data, "init", path]) == 1
    error = capsys.readouterr().err
    assert message in error, error
    assert snapshot(data) == before, "a refused import changed what is stored"


def test_the_same_folder_imports_when_nothing_is_wrong(data, tmp_path):
    folder = write_folder(root=str(tmp_path / "layout"), systems=SYSTEMS, items=ITEMS, seconds=0.5)
    path = write_study(
        path=str(tmp_path / "s.yaml"), folder=folder, study_id="fine", systems=SYSTEMS, items=ITEMS
    )
    before = snapshot(data)
    assert main(["--data-dir", data, "init", path]) == 0
    after = snapshot(data)
    assert after["rows"]["answers"] == before["rows"]["answers"]
    assert len(after["rows"]["stimuli"]) > len(before["rows"]["stimuli"])
    assert not [f for f, _ in after["files"] if ".import-" in f]  # the staging folder is gone
