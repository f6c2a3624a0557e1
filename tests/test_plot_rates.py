"""What a tab plots is the output as it is: for every registered converter the plotted mel spans the
output's duration and the output's F0 line lies on its plotted harmonics (issue 23, item 1: 16 kHz outputs
were drawn as 22.05 kHz — a 9.6 s output as 7 s, the pitch line under the harmonics)."""

import numpy as np
import pytest

from models.base import Task
from models.features import HIFIGAN_MEL, load_audio, mel_bin_frequencies
from models.melody import tune
from models.registry import default_registry
from tests.conftest import SPEECH_EXAMPLE

SINGING_EXAMPLE = SPEECH_EXAMPLE.replace("speech_arctic", "singing_world_arctic")
REGISTRY = default_registry()


def _input(task: Task):
    path = SINGING_EXAMPLE if task == Task.SINGING_TO_SPEECH else SPEECH_EXAMPLE
    audio = load_audio(path)
    return type(audio)(audio.samples[: 3 * audio.sr], audio.sr)  # 3 s: every converter, briefly


@pytest.mark.parametrize("name", REGISTRY.names(available_only=True))
def test_the_plotted_mel_spans_the_output_and_its_f0_sits_on_the_harmonics(name):
    converter = REGISTRY.get(name)
    melody = tune("Twinkle, Twinkle, Little Star") if converter.needs_melody else None
    result = converter.convert(_input(converter.task), melody=melody)
    frame_s = HIFIGAN_MEL.hop_length / HIFIGAN_MEL.sample_rate
    assert abs(result.output_mel.shape[1] * frame_s - result.audio.duration) <= frame_s + 1e-9
    # where the output is voiced, the mel bin of its F0 is louder than the bins between the first harmonics
    f0 = result.output_f0
    bins = mel_bin_frequencies()
    frames = np.round(f0.times[f0.voiced] / frame_s).astype(int)
    keep = frames < result.output_mel.shape[1]
    frames, hz = frames[keep], f0.hz[f0.voiced][keep]
    assert len(frames) >= 20, f"{name}: the output is barely voiced ({len(frames)} frames)"
    on = result.output_mel[np.abs(bins[None, :] - hz[:, None]).argmin(axis=1), frames]
    between = result.output_mel[np.abs(bins[None, :] - 1.5 * hz[:, None]).argmin(axis=1), frames]
    assert np.mean(on > between) > 0.7, f"{name}: the F0 line is off its harmonics"
