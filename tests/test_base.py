from dataclasses import dataclass

import pytest
import torch

from models.base import Checkpoint, load_checkpoint, make_options, option, save_checkpoint
from models.errors import CheckpointError
from models.features import HIFIGAN_MEL, ICASSP2020_LINEAR


@dataclass(frozen=True)
class ToyOptions:
    mode: str = option("a", "which mode", choices=("a", "b"))
    steps: int = option(32, "iterations", minimum=1, maximum=64)
    gain: float = option(1.0, "output gain")
    loud: bool = option(False, "louder")


def test_make_options_converts_strings_and_checks_choices_and_ranges():
    opts = make_options(ToyOptions, {"mode": "b", "steps": "16", "gain": "0.5", "loud": "true"})
    assert opts == ToyOptions(mode="b", steps=16, gain=0.5, loud=True)
    assert make_options(ToyOptions) == ToyOptions()
    for bad, words in [
        ({"mode": "c"}, "not one of"),
        ({"steps": 65}, "outside"),
        ({"steps": "x"}, "valid int"),
        ({"loud": "maybe"}, "valid bool"),
        ({"speed": 1}, "unknown option"),
    ]:
        with pytest.raises(ValueError, match=words):
            make_options(ToyOptions, bad)


def toy_checkpoint() -> Checkpoint:
    model = torch.nn.Linear(3, 2)
    return Checkpoint(
        model="toy",
        config={"width": 3},
        feature_spec=HIFIGAN_MEL,
        state_dict=model.state_dict(),
        train={"steps": 10, "manifest_sha256": "abc"},
    )


def test_checkpoint_round_trip(tmp_path):
    path = tmp_path / "toy.pt"
    original = toy_checkpoint()
    save_checkpoint(path, original)
    loaded = load_checkpoint(path, model="toy", feature_spec=HIFIGAN_MEL)
    assert (
        loaded.config == {"width": 3} and loaded.train["steps"] == 10 and loaded.feature_spec == HIFIGAN_MEL
    )
    fresh = torch.nn.Linear(3, 2)
    fresh.load_state_dict(loaded.state_dict, strict=True)
    assert torch.equal(fresh.weight, original.state_dict["weight"])


def test_checkpoint_refuses_an_unknown_version(tmp_path):
    path = tmp_path / "toy.pt"
    save_checkpoint(path, toy_checkpoint())
    payload = torch.load(path, weights_only=True)
    payload["version"] = 99
    torch.save(payload, path)
    with pytest.raises(CheckpointError, match="format version 99"):
        load_checkpoint(path)


def test_checkpoint_refuses_other_models_other_features_and_foreign_files(tmp_path):
    path = tmp_path / "toy.pt"
    save_checkpoint(path, toy_checkpoint())
    with pytest.raises(CheckpointError, match="not 'other'"):
        load_checkpoint(path, model="other")
    with pytest.raises(CheckpointError, match="other signal settings"):
        load_checkpoint(path, feature_spec=ICASSP2020_LINEAR)
    torch.save({"weights": torch.zeros(2)}, tmp_path / "foreign.pt")
    with pytest.raises(CheckpointError, match="not a Songbridge checkpoint"):
        load_checkpoint(tmp_path / "foreign.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a zip")
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        load_checkpoint(tmp_path / "junk.pt")
    with pytest.raises(CheckpointError, match="No checkpoint"):
        load_checkpoint(tmp_path / "missing.pt")
