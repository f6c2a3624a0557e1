"""The ready-made studies under evaluation/studies validate and can be generated on a clean checkout."""

from __future__ import annotations

import glob
import os

import pytest

from evaluation.listening.generate import _melody
from evaluation.listening.study import load_study
from models.registry import default_registry

STUDIES = sorted(
    glob.glob(os.path.join(os.path.dirname(__file__), "..", "evaluation", "studies", "*", "study.yaml"))
)


def test_the_icassp2020_study_is_there():
    assert any("icassp2020" in path for path in STUDIES)


@pytest.mark.parametrize("path", STUDIES, ids=lambda p: os.path.basename(os.path.dirname(p)))
def test_study_validates_and_everything_it_generates_from_is_committed(path):
    study = load_study(path=path)
    registry = default_registry()
    for name in study.generate.converters:
        assert registry.spec(name).available, f"{name}: its checkpoint is not bundled"
    for item, files in study.generate.items.items():
        assert os.path.isfile(files["source"]), item
        melody = _melody(files["melody"])
        assert 1.0 < melody.duration < 30.0 and melody.sung_notes, item
