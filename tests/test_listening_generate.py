"""A study's generate: block runs registered converters with their Options by field name, writes the
shared layout, and init imports the result."""

from dataclasses import dataclass

import numpy as np
import pytest
import soundfile

from evaluation.listening.__main__ import main
from evaluation.listening.generate import generate
from evaluation.listening.study import StudyError, load_study
from models.base import Audio, ConversionResult, Task, option
from models.registry import ConverterSpec, Registry


@dataclass(frozen=True)
class GainOptions:
    gain: float = option(1.0, "output gain", minimum=0.1, maximum=4.0)


class Gain:
    """A stand-in converter: scales the input and sings it for as long as the melody lasts."""

    name = "gain"
    task = Task.SPEECH_TO_SINGING
    needs_melody = True
    Options = GainOptions

    def convert(self, audio, *, melody=None, options=None, progress=None):
        n = int(melody.duration * audio.sr)
        samples = np.resize(audio.samples, n) * options.gain
        return ConversionResult(
            audio=Audio(samples.astype(np.float32), audio.sr), input_mel=None, output_mel=None
        )


def registry() -> Registry:
    specs = [
        ConverterSpec(name, Task.SPEECH_TO_SINGING, name, "test", "tests.test_listening_generate:Gain")
        for name in ("loud", "soft")
    ]
    return Registry(specs)


def write(tmp_path, converters) -> str:
    rng = np.random.default_rng(0)
    soundfile.write(tmp_path / "speech.wav", 0.1 * rng.standard_normal(22050).astype(np.float32), 22050)
    (tmp_path / "tune.txt").write_text("60:0.6 64:0.6")
    items = "\n".join(f"      {i}: {{source: speech.wav, melody: tune.txt}}" for i in ("one", "two"))
    (tmp_path / "s.yaml").write_text(
        f"id: gen\ntitle: Generated\ntype: preference\nsystems: [loud, soft]\ntrials_per_listener: 2\n"
        f"stimuli:\n  folder: out\n  generate:\n    converters: {converters}\n    items:\n{items}\n"
    )
    return str(tmp_path / "s.yaml")


def test_generate_runs_each_converter_with_its_options_and_writes_the_layout(tmp_path):
    study = load_study(path=write(tmp_path, "{loud: {gain: 2.0}, soft: {gain: 0.5}}"))
    root = generate(study=study, registry=registry(), log=lambda _: None)
    loud, sr = soundfile.read(f"{root}/loud/one.wav")
    soft, _ = soundfile.read(f"{root}/soft/one.wav")
    assert sr == 22050 and abs(len(loud) / sr - 1.2) < 0.01
    assert np.allclose(loud, 4 * soft, atol=1e-3)
    assert (tmp_path / "out" / "_context" / "two" / "source.wav").exists()
    assert (tmp_path / "out" / "_context" / "two" / "melody.txt").read_text() == "60:0.6 64:0.6"


def test_an_unknown_option_names_the_converter_and_the_field(tmp_path):
    study = load_study(path=write(tmp_path, "{loud: {volume: 2}, soft: {}}"))
    with pytest.raises(StudyError, match=r"converters.loud: unknown option\(s\) volume; known: gain"):
        generate(study=study, registry=registry(), log=lambda _: None)


def test_init_with_a_generate_block_uses_the_default_registry(tmp_path, capsys):
    path = write(tmp_path, "{world-sts: {}, nope: {}}")
    assert main(["--data-dir", str(tmp_path / "d"), "init", path]) == 1
    assert "no converter given for system(s) loud, soft" in capsys.readouterr().err
