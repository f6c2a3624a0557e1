"""What the demo says about a conversion: RTF on the longer of input and output, model loading timed,
output files and the previous-output label named after what made them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from demo.conversion import Conversion, output_file_name, run_conversion, setting_words
from models.base import ConversionResult, Task
from models.features import Audio
from models.registry import ConverterSpec, Registry


def result(output_seconds: float, stage_seconds: float) -> ConversionResult:
    audio = Audio(np.zeros(int(output_seconds * 16000), dtype=np.float32), 16000)
    return ConversionResult(audio, np.zeros((80, 1)), np.zeros((80, 1)), timings={"work": stage_seconds})


def seconds(n: float) -> Audio:
    return Audio(np.zeros(int(n * 16000), dtype=np.float32), 16000)


def test_a_shorter_output_is_timed_against_the_input():
    # singing → speech: 1 s in, 0.26 s out, 0.3 s of work — RTF 0.3, not "10.84"
    conversion = Conversion("s2s", seconds(1.0), result(0.26, 0.3), 0.0)
    assert abs(conversion.rtf - 0.3) < 1e-6
    line = conversion.timings_line()
    assert "1.00 s in → 0.26 s out" in line and "real-time factor 0.30" in line


def test_a_longer_output_is_timed_against_the_output():
    conversion = Conversion("sts", seconds(3.0), result(9.0, 0.9), 0.0)
    assert abs(conversion.rtf - 0.1) < 1e-6


def test_model_loading_shows_in_the_timings_and_the_total():
    conversion = Conversion("x", seconds(1.0), result(1.0, 0.5), 2.0)
    assert conversion.timings_line().startswith("model loading 2.00 s · work 0.50 s")
    assert abs(conversion.total_seconds - 2.5) < 1e-9


class Slow:
    name, task, needs_melody = "slow", Task.STYLE, False

    class Options:
        pass

    def __init__(self):
        import time

        time.sleep(0.2)

    def convert(self, audio, *, melody=None, options=None, progress=None):
        return result(audio.duration, 0.01)


def test_run_conversion_times_the_first_load_only():
    registry = Registry([ConverterSpec("slow", Task.STYLE, "Slow", "", f"{__name__}:Slow")])
    first = run_conversion(registry, "slow", seconds(1.0))
    second = run_conversion(registry, "slow", seconds(1.0))
    assert first.load_seconds >= 0.2 and second.load_seconds == 0.0


def test_outputs_are_named_after_input_converter_and_settings():
    from models.dsp.world_sts import WorldSTSOptions

    melody = {
        "melody_source": "Built-in tune",
        "tune": "Ode to Joy (Beethoven)",
        "transpose": -5,
        "tempo": 1.0,
    }
    words = setting_words(WorldSTSOptions(vibrato_extent_cents=0.0), melody)
    assert words == ["Ode to Joy (Beethoven)", "transpose -5", "vibrato extent cents 0.0"]
    conversion = Conversion("world-sts", seconds(1.0), result(1.0, 0.1), 0.0, words, "My Voice (take 2)")
    name = output_file_name(conversion)
    assert name.startswith(
        "my-voice-take-2_world-sts_ode-to-joy-beethoven_transpose-5_vibrato-extent-cents-0-0_"
    )
    assert name.endswith(".wav") and name != output_file_name(conversion)
    assert (
        conversion.made_by
        == "world-sts · Ode to Joy (Beethoven) · transpose -5 · vibrato extent cents 0.0 on My Voice (take 2)"
    )


class UsesHiFiGAN:
    name, task, needs_melody = "uses-hifigan", Task.RESYNTHESIS, False

    @dataclass(frozen=True)
    class Options:
        vocoder: str = "hifigan"

    def convert(self, audio, *, melody=None, options=None, progress=None):
        return result(audio.duration, 0.01)


def test_a_first_hifigan_load_counts_as_model_loading_not_as_conversion():
    from models import vocoders

    registry = Registry([ConverterSpec("uses-hifigan", Task.RESYNTHESIS, "H", "", f"{__name__}:UsesHiFiGAN")])
    vocoders.hifigan.cache_clear()
    first = run_conversion(registry, "uses-hifigan", seconds(1.0))
    assert vocoders.hifigan.cache_info().currsize == 1 and first.load_seconds > 0.05
    again = run_conversion(registry, "uses-hifigan", seconds(1.0))
    assert again.load_seconds == 0.0
