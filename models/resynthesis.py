"""The vocoder check: analyse a voice to a mel spectrogram and resynthesize it.

Every mel-domain converter ends in one of these vocoders, so what this tab plays is the best any of
them can sound on that voice.
"""

from __future__ import annotations

from dataclasses import dataclass

from models import features, vocoders
from models.base import Audio, ConversionResult, ProgressFn, StageTimer, Task, analysed_result, option
from models.features import HIFIGAN_MEL

VOCODERS = ("hifigan", "griffinlim")


@dataclass(frozen=True)
class VocoderCheckOptions:
    vocoder: str = option(
        "hifigan",
        "HiFi-GAN (universal, neural) or Griffin-Lim (phase reconstruction, no training).",
        label="Vocoder",
        choices=VOCODERS,
    )
    griffinlim_iterations: int = option(
        32,
        "More iterations give a more consistent phase and cost time linearly.",
        label="Griffin-Lim iterations",
        minimum=1,
        maximum=256,
        step=1,
        advanced=True,
    )


def make_vocoder(name: str, *, griffinlim_iterations: int = 32) -> vocoders.Vocoder:
    if name == "hifigan":
        return vocoders.hifigan()
    if name == "griffinlim":
        return vocoders.GriffinLim(n_iter=griffinlim_iterations)
    raise ValueError(f"unknown vocoder {name!r}; choose one of {', '.join(VOCODERS)}")


class VocoderCheck:
    name = "vocoder-check"
    task = Task.RESYNTHESIS
    needs_melody = False
    Options = VocoderCheckOptions

    def convert(
        self,
        audio: Audio,
        *,
        melody=None,
        options: VocoderCheckOptions | None = None,
        progress: ProgressFn | None = None,
    ) -> ConversionResult:
        options = options or VocoderCheckOptions()
        timer = StageTimer(progress, stages=3)
        with timer("analysis"):
            source = features.to_rate(audio, HIFIGAN_MEL.sample_rate)
            mel = features.log_mel(source.samples)
        with timer(options.vocoder):
            vocoder = make_vocoder(options.vocoder, griffinlim_iterations=options.griffinlim_iterations)
            output = vocoder.synthesize(mel)
        with timer("plots"):
            result = analysed_result(source, output)
        result.timings = timer.timings
        return result
