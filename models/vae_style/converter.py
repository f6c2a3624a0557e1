"""The voice-style VAE as a Songbridge converter: ``vae-growl`` (clean voice → the corpus's growl).

The input is brought to the corpus's level (peak 0.95), analysed into HiFi-GAN log-mels, passed through
the VAE at the chosen style strength (latent interpolation between the reconstruction and the conversion
posterior means), vocoded by Griffin-Lim (as the blog) or HiFi-GAN, and given back the input's original
gain, so the level change the model predicts is kept. Long inputs run in chunks with context on both
sides; the network only sees a few frames around each output frame, so the seams are exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from models import features
from models.base import Audio, ConversionResult, ProgressFn, Task, load_model, option
from models.mel_converter import convert_with_vocoder
from models.vae_style.data import SPEC
from models.vae_style.model import TIME_STRIDE, StyleVAE, VAEConfig
from models.vocoders import griffinlim_iterations_option, mel_vocoder, vocoder_option

PEAK = 0.95
CHUNK_FRAMES = 1024
CONTEXT_FRAMES = 32
SILENCE = float(np.log(SPEC.clamp))


@dataclass(frozen=True)
class VAEStyleOptions:
    strength: float = option(
        1.0,
        "0 reconstructs your voice through the VAE, 1 is the full learned style; values between interpolate "
        "in the latent space.",
        label="Style strength",
        minimum=0.0,
        maximum=1.0,
        step=0.05,
    )
    vocoder: str = vocoder_option(
        "HiFi-GAN (universal weights) or Griffin-Lim, the Scream Machine blog's vocoder (phase guessed, "
        "more metallic)."
    )
    griffinlim_iterations: int = griffinlim_iterations_option()


class VAEStyleConverter:
    task = Task.STYLE
    needs_melody = False
    Options = VAEStyleOptions

    def __init__(self, checkpoint_path: str):
        self.model, checkpoint = load_model(
            checkpoint_path, model="vae_style", feature_spec=SPEC,
            build=lambda c: StyleVAE(VAEConfig.from_dict(c)),
        )  # fmt: skip
        self.name = checkpoint.config.get("name", "vae-style")
        self.train_info = checkpoint.train

    @classmethod
    def from_checkpoint(cls, path: str) -> VAEStyleConverter:
        return cls(path)

    @torch.inference_mode()
    def stylise_mel(self, log_mel: np.ndarray, *, strength: float = 1.0) -> np.ndarray:
        """(80, T) HiFi-GAN log-mel → (80, T) at ``strength`` (chunked, exact at the seams)."""
        n = log_mel.shape[1]
        out = np.empty_like(log_mel, dtype=np.float32)
        for start in range(0, n, CHUNK_FRAMES):
            stop = min(n, start + CHUNK_FRAMES)
            lo, hi = max(0, start - CONTEXT_FRAMES), min(n, stop + CONTEXT_FRAMES)
            piece = log_mel[:, lo:hi]
            pad = (-piece.shape[1]) % TIME_STRIDE
            piece = np.pad(piece, ((0, 0), (0, pad)), constant_values=SILENCE)
            x = self.model.normalise(torch.from_numpy(piece.astype(np.float32))[None])
            y = self.model.denormalise(self.model.stylise(x, strength))[0].numpy()
            out[:, start:stop] = y[:, start - lo : stop - lo]
        return np.maximum(out, SILENCE)

    def convert(
        self,
        audio: Audio,
        *,
        melody=None,
        options: VAEStyleOptions | None = None,
        progress: ProgressFn | None = None,
    ) -> ConversionResult:
        options = options or VAEStyleOptions()
        source = features.to_rate(audio, SPEC.sample_rate)
        gain = PEAK / max(float(np.max(np.abs(source.samples))), 1e-6)  # to the corpus's level and back

        def predict() -> np.ndarray:
            mel = features.log_mel(Audio(source.samples * gain, source.sr))
            return self.stylise_mel(mel, strength=options.strength)

        def ungained(wave: Audio, source: Audio) -> Audio:  # not level-matched: keep the model's level
            samples = np.zeros(len(source.samples), np.float32)  # T · hop samples: pad the last partial hop
            n = min(len(samples), len(wave.samples))
            samples[:n] = np.clip(wave.samples[:n] / gain, -0.99, 0.99)
            return Audio(samples, SPEC.sample_rate)

        return convert_with_vocoder(
            source,
            predict=predict,
            vocoder=lambda: mel_vocoder(options.vocoder, griffinlim_iterations=options.griffinlim_iterations),
            rate=SPEC.sample_rate,
            progress=progress,
            notes=[
                f"Voice-style VAE '{self.name}', trained {self.train_info.get('steps', '?')} steps; style "
                f"strength {options.strength:g}, "
                f"{'HiFi-GAN' if options.vocoder == 'hifigan' else 'Griffin-Lim'} output. "
                "The bundled growl is a synthetic DSP rendering, not a recorded growl singer."
            ],
            finish=ungained,
            streamed_gain=lambda spectrogram, source, spec: 1 / gain,
            stages=("network", options.vocoder),
        )
