"""The vocoder check: analyse a voice to a mel spectrogram and resynthesize it.

Every mel-domain converter ends in one of these vocoders, so what this tab plays is the best any of
them can sound on that voice.
"""

from __future__ import annotations

from dataclasses import dataclass

from models import features
from models.base import Audio, ConversionResult, ProgressFn, Task
from models.features import HIFIGAN_MEL
from models.mel_converter import convert_with_vocoder
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
        source = features.to_rate(audio, HIFIGAN_MEL.sample_rate)
        return convert_with_vocoder(
            source,
            predict=lambda: features.log_mel(source),
            vocoder=lambda: mel_vocoder(options.vocoder, griffinlim_iterations=options.griffinlim_iterations),
            rate=HIFIGAN_MEL.sample_rate,
            progress=progress,
            finish=lambda vocoded, source: vocoded,  # the vocoder's own level: the check is of it alone
            streamed_gain=lambda spectrogram, source, spec: 1.0,
            stages=("analysis", options.vocoder),
        )
