"""The vocoder check: analyse a voice to a mel spectrogram and resynthesize it.

Every mel-domain converter ends in one of these vocoders, so what this tab plays is the best any of
them can sound on that voice.
"""

from __future__ import annotations

from dataclasses import dataclass

from models import features
from models.base import Audio, ConversionResult, ProgressFn, StageTimer, Task, analysed_result
from models.features import HIFIGAN_MEL
from models.vocoders import griffinlim_iterations_option, mel_vocoder, vocoder_option


@dataclass(frozen=True)
class VocoderCheckOptions:
    vocoder: str = vocoder_option(
        "HiFi-GAN (universal, neural) or Griffin-Lim (phase reconstruction, no training)."
    )
    griffinlim_iterations: int = griffinlim_iterations_option(
        "More iterations give a more consistent phase and cost time linearly."
    )


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
            mel = features.log_mel(source)
        with timer(options.vocoder):
            vocoder = mel_vocoder(options.vocoder, griffinlim_iterations=options.griffinlim_iterations)
            output = vocoder.synthesize(mel)
        with timer("plots"):
            result = analysed_result(source, output)
        result.timings = timer.timings
        return result
