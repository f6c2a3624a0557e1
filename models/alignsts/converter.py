"""AlignSTS as a Songbridge converter: spoken recording + target melody → singing, through HiFi-GAN.

speech → WORLD with a flat F0 → phone posteriorgram (content) ─┐
melody → F0 bin (or note) and onset per output mel frame ─────┼─► AlignSTS: rhythm codes predicted by the
speech → mean log mel of its louder frames (speaker) ──────────┘   adaptor, content re-aligned to them
→ mel with as many frames as the melody lasts → HiFi-GAN (or Griffin-Lim).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from models.alignsts.features import (
    MEL_SPEC,
    content_features,
    melody_frames,
    pitch_tokens,
    speaker_vector,
    speech_rhythm,
)
from models.alignsts.model import AlignSTS, AlignSTSConfig
from models.base import Audio, ConversionResult, ProgressFn, Task, load_model, training_data
from models.errors import AudioInputError
from models.mel_converter import convert_with_vocoder
from models.melody import Melody, required
from models.vocoders import griffinlim_iterations_option, mel_vocoder, vocoder_option

MIN_SECONDS = 0.5


@dataclass(frozen=True)
class AlignSTSOptions:
    vocoder: str = vocoder_option(
        "HiFi-GAN (universal weights) on the predicted mel: the cleaner sound; or Griffin-Lim phase "
        "reconstruction: rougher, but truer to the melody (HiFi-GAN can sing a note 40 cents sharp; "
        "raw chroma accuracy on a real singer 0.80, Griffin-Lim's 0.87)."
    )
    griffinlim_iterations: int = griffinlim_iterations_option()


class AlignSTSConverter:
    task = Task.SPEECH_TO_SINGING
    needs_melody = True
    Options = AlignSTSOptions

    def __init__(self, checkpoint_path: str):
        self.model, checkpoint = load_model(
            checkpoint_path, model="alignsts", feature_spec=MEL_SPEC,
            build=lambda c: AlignSTS(AlignSTSConfig.from_dict(c)),
        )  # fmt: skip
        self.config = self.model.cfg
        self.name = "alignsts" if self.config.variant == "full" else f"alignsts-{self.config.variant}"
        self.train_info = checkpoint.train

    @torch.inference_mode()
    def singing_mel(self, speech: Audio, melody: Melody) -> np.ndarray:
        """(80, T1) HiFi-GAN log mel of ``speech`` sung to ``melody``; T1 = the melody's length in mel frames."""
        if speech.duration < MIN_SECONDS:
            raise AudioInputError(
                f"The speech is {speech.duration:.2f} s long; give at least {MIN_SECONDS} s of spoken words."
            )
        content = content_features(speech)
        n_frames = melody_frames(melody)
        notes, onsets = pitch_tokens(melody, n_frames, self.config.pitch_input)
        rhythm = None
        if self.config.variant == "no_rhythm_adaptor":
            envelope = speech_rhythm(speech)
            rhythm = np.interp(
                np.linspace(0, len(envelope) - 1, n_frames), np.arange(len(envelope)), envelope
            )
            rhythm = torch.from_numpy(rhythm.astype(np.float32))[None]
        out = self.model(
            torch.from_numpy(content)[None],
            torch.tensor([content.shape[1]]),
            torch.from_numpy(notes)[None],
            torch.from_numpy(onsets)[None],
            torch.tensor([n_frames]),
            torch.from_numpy(speaker_vector(speech))[None],
            rhythm=rhythm,
        )
        return out["mel"][0].numpy()

    def convert(
        self,
        audio: Audio,
        *,
        melody: Melody | None = None,
        options: AlignSTSOptions | None = None,
        progress: ProgressFn | None = None,
    ) -> ConversionResult:
        melody = required(melody)
        options = options or AlignSTSOptions()
        notes = []
        if melody.follows_contour and self.config.pitch_input == "notes":
            notes.append(
                "This AlignSTS conditions on notes, so the reference recording's pitch curve was read as the "
                f"{len(melody.sung_notes)} note{'s' if len(melody.sung_notes) != 1 else ''} it holds (its "
                "vibrato and glides are not sung)."
            )
        sings = "the reference's own pitch curve" if melody.follows_contour else "the notes' pitch"
        conditioned = "the F0 contour" if self.config.pitch_input == "contour" else "notes"
        notes.append(
            f"AlignSTS ({self.config.variant}, conditioned on {conditioned}: {sings}), trained "
            f"{self.train_info.get('steps', '?')} steps on {training_data(self.train_info)}; rhythm predicted "
            f"from the melody and the words; {options.vocoder}."
        )
        return convert_with_vocoder(
            audio,
            predict=lambda: self.singing_mel(audio, melody),
            vocoder=lambda: mel_vocoder(options.vocoder, griffinlim_iterations=options.griffinlim_iterations),
            rate=MEL_SPEC.sample_rate,
            progress=progress,
            target_f0=melody.contour(),
            notes=notes,
        )
