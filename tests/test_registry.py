import pytest

from models.base import Task
from models.errors import ConverterUnavailableError
from models.registry import ConverterSpec, Registry, default_registry

CALLS = []


class Dummy:
    name = "dummy"
    task = Task.RESYNTHESIS
    needs_melody = False
    Options = object

    def __init__(self, path=None):
        CALLS.append(path)


def test_lists_converters_and_which_are_available(tmp_path):
    present = tmp_path / "present.pt"
    present.write_bytes(b"x")
    registry = Registry(
        [
            ConverterSpec("free", Task.RESYNTHESIS, "Free", "", f"{__name__}:Dummy"),
            ConverterSpec("trained", Task.SPEECH_TO_SINGING, "T", "", f"{__name__}:Dummy", str(present)),
            ConverterSpec(
                "untrained", Task.SPEECH_TO_SINGING, "U", "", f"{__name__}:Dummy", str(tmp_path / "no.pt")
            ),
        ]
    )
    assert registry.names() == ["free", "trained", "untrained"]
    assert registry.names(available_only=True) == ["free", "trained"]
    assert registry.names(task=Task.SPEECH_TO_SINGING, available_only=True) == ["trained"]
    with pytest.raises(ConverterUnavailableError, match="no checkpoint"):
        registry.get("untrained")
    with pytest.raises(ConverterUnavailableError, match="Known converters"):
        registry.get("nonexistent")


def test_loads_lazily_once_and_passes_the_checkpoint(tmp_path):
    CALLS.clear()
    checkpoint = tmp_path / "c.pt"
    checkpoint.write_bytes(b"x")
    registry = Registry([ConverterSpec("c", Task.STYLE, "C", "", f"{__name__}:Dummy", str(checkpoint))])
    assert CALLS == [] and not registry.is_loaded("c")
    first, second = registry.get("c"), registry.get("c")
    assert first is second and CALLS == [str(checkpoint)]


def test_default_registry_has_the_vocoder_check_available():
    registry = default_registry()
    assert "vocoder-check" in registry.names(task=Task.RESYNTHESIS, available_only=True)
    assert registry.options_class("vocoder-check").__name__ == "VocoderCheckOptions"


def test_each_built_in_converter_is_what_its_entry_declares():
    """A built converter carries its entry's name, and its class's task is the entry's."""
    registry = default_registry()
    for name in registry.names(available_only=True):
        converter = registry.get(name)
        assert (converter.name, converter.task) == (name, registry.spec(name).task), name


def test_tabs_group_variants_by_task_and_trainers_come_from_the_entries():
    registry = default_registry()
    assert registry.tasks()[0] == Task.SPEECH_TO_SINGING
    tabs = registry.tabs(Task.SPEECH_TO_SINGING)
    assert list(tabs) == ["WORLD", "ICASSP 2020", "AlignSTS"]
    assert [s.name for s in tabs["ICASSP 2020"]] == ["parekh-mtl", "parekh-mse", "parekh-b2"]
    from models.training.__main__ import TRAINERS

    assert TRAINERS == {
        "parekh": "models.parekh.train",
        "alignsts": "models.alignsts.train",
        "s2s_flow": "models.s2s_flow.train",
        "vae_style": "models.vae_style.train",
        "ppg": "models.ppg.train",
        "vocos": "models.vocos.train",
    }
