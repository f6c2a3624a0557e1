"""The generative-flow singing → speech model as a Songbridge converter.

singing → HiFi-GAN ln-mel → posteriorgram units → predicted speech durations → z = μ + noise_scale · ε
→ inverse flow → speech ln-mel → HiFi-GAN (or Griffin-Lim). The mel is HiFi-GAN's own, so no mapping.
Sampling noise comes from a generator seeded per call: the same input and options give the same output.

The output is returned at 16 kHz, the paper's rate: the mel stops at 8 kHz, so whatever the vocoder puts
above it is its own guess, not the model's (on the 16 kHz corpus that band is empty in the true speech,
and HiFi-GAN's guess there alone costs 16 dB of mel-cepstral distortion in copy synthesis: 20.2 vs 3.8
on the standard scale, at the 22.05 kHz MCD of the time).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from models import features
from models.base import Audio, ConversionResult, ProgressFn, Task, load_model, option, training_data
from models.errors import AudioInputError
from models.mel_converter import convert_with_vocoder
from models.s2s_flow.data import SPEC
from models.s2s_flow.model import S2SFlow, S2SFlowConfig
from models.vocoders import griffinlim_iterations_option, mel_vocoder, vocoder_option

MIN_SECONDS = 0.5
OUTPUT_RATE = 16000  # the paper's sampling rate; see the module docstring


@dataclass(frozen=True)
class S2SFlowOptions:
    noise_scale: float = option(
        0.3,
        "Temperature of the flow's sampling (the paper's 0.3): 0 gives the mean, higher adds variety and artefacts.",
        label="Noise scale",
        minimum=0.0,
        maximum=1.0,
        step=0.05,
    )
    vocoder: str = vocoder_option(
        "HiFi-GAN (universal weights) on the predicted mel, or Griffin-Lim phase reconstruction."
    )
    griffinlim_iterations: int = griffinlim_iterations_option()
    length_scale: float = option(
        1.0,
        "Scales the predicted speech durations: above 1 speaks slower.",
        label="Speaking slowness",
        minimum=0.5,
        maximum=2.0,
        step=0.05,
        advanced=True,
    )
    seed: int = option(
        0, "Seed of the sampling noise.", label="Seed", minimum=0, maximum=9999, step=1, advanced=True
    )


class S2SFlowConverter:
    name = "s2s-flow"
    task = Task.SINGING_TO_SPEECH
    needs_melody = False
    Options = S2SFlowOptions

    def __init__(self, checkpoint_path: str):
        self.model, checkpoint = load_model(
            checkpoint_path, model="s2s_flow", feature_spec=SPEC, build=lambda c: S2SFlow(S2SFlowConfig(**c))
        )
        self.train_info = checkpoint.train

    def speech_mel(self, singing: Audio, options: S2SFlowOptions) -> np.ndarray:
        """(n_mels, T) predicted speech ln-mel of ``singing`` (any rate; resampled to 22.05 kHz)."""
        source = features.to_rate(singing, SPEC.sample_rate)
        if source.duration < MIN_SECONDS:
            raise AudioInputError(
                f"The singing is {source.duration:.2f} s long; give at least {MIN_SECONDS} s of a sung phrase."
            )
        mel = torch.from_numpy(features.log_mel(source, SPEC))[None]
        generator = torch.Generator().manual_seed(int(options.seed))
        out, _ = self.model.sample(
            mel, noise_scale=options.noise_scale, length_scale=options.length_scale, generator=generator
        )
        return out[0].numpy()

    def convert(
        self,
        audio: Audio,
        *,
        melody=None,
        options: S2SFlowOptions | None = None,
        progress: ProgressFn | None = None,
    ) -> ConversionResult:
        options = options or S2SFlowOptions()
        return convert_with_vocoder(
            audio,
            predict=lambda: self.speech_mel(audio, options),
            vocoder=lambda: mel_vocoder(options.vocoder, griffinlim_iterations=options.griffinlim_iterations),
            rate=OUTPUT_RATE,
            progress=progress,
            notes=[
                f"Generative flow singing → speech, trained {self.train_info.get('steps', '?')} steps on "
                f"{training_data(self.train_info)}; noise scale {options.noise_scale}, {options.vocoder}."
            ],
        )
