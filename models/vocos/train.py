"""Training the Vocos-style vocoder on this repository's recordings, without a discriminator.

python -m models.training vocos --corpus corpora/pjs --corpus corpora/synthetic [--mix 0.5,0.5] [--minutes 45]

Each step draws ``batch`` crops of ``CROP_FRAMES`` mel frames from the speech and singing of the corpora's
train splits (an utterance in proportion to its length, a corpus with its ``--mix`` share). The target is
the recording itself: its STFT with HiFi-GAN's framing gives both the input (its log-mel) and the spectrum
the head must predict. Vocos trains against multi-period and multi-resolution discriminators for a million
steps on a GPU; 45 minutes of CPU cannot do that, so this trainer supervises the spectrum directly
(APNet's recipe without its GAN, Ai & Ling 2023): log-magnitude L1, the anti-wrapped instantaneous phase,
group delay and instantaneous frequency errors (weighted by the target's magnitude, where phase is
audible), and a multi-resolution STFT loss on the overlap-added waveform, which keeps the predicted
frames consistent with each other.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch.nn import functional as F

from models import features
from models.base import Checkpoint, save_checkpoint
from models.features import HIFIGAN_MEL
from models.training.mix import CorpusMix, corpora_record, parse_shares
from models.vocos.model import VocosConfig, VocosGenerator, parameter_count

SPEC = HIFIGAN_MEL
CROP_FRAMES = 48  # 0.56 s: twice the blocks' receptive field (±27 frames)
PAD = SPEC.pad  # HiFi-GAN's reflect padding, 384 samples
RESOLUTIONS = ((512, 128), (1024, 256), (2048, 512))  # the waveform loss's (n_fft, hop)
SIDES = ("speech_wav", "singing_wav")


def anti_wrapped(x: torch.Tensor) -> torch.Tensor:
    """|x − 2π·round(x / 2π)|: a phase error's distance on the circle (APNet's anti-wrapping function)."""
    return torch.abs(x - 2 * math.pi * torch.round(x / (2 * math.pi)))


def load_recordings(root: str) -> list[np.ndarray]:
    """Every speech and singing recording of a corpus's train split at 22 050 Hz, reflect-padded by
    ``PAD`` each side, so that frame t of a ``center=False`` STFT is frame t of ``features.log_mel``."""
    from models.corpus.manifest import audio_path, read_manifest

    recordings = []
    for pair in read_manifest(root, split="train"):
        for side in SIDES:
            relative = getattr(pair, side)
            if relative is None:
                continue
            samples = features.load_audio(audio_path(root, relative), sr=SPEC.sample_rate).samples
            frames = len(samples) // SPEC.hop_length
            if frames >= CROP_FRAMES:
                recordings.append(np.pad(samples[: frames * SPEC.hop_length], PAD, mode="reflect"))
    return recordings


class VocosTask:
    def __init__(
        self,
        recordings: list | list[list],
        *,
        shares: list[float] | None = None,
        config: VocosConfig | None = None,
        data_info: dict | None = None,
    ):
        self.name = "vocos"
        self.model = VocosGenerator(config or VocosConfig())
        self.mix = CorpusMix(recordings, lambda r: len(r) // SPEC.hop_length, shares)
        self.data_info = data_info or {}
        self.window = torch.hann_window(SPEC.n_fft)
        filters = features.mel_filters(SPEC.sample_rate, SPEC.n_fft, SPEC.n_mels, SPEC.fmin, SPEC.fmax)
        self.filters = torch.from_numpy(
            np.array(filters, dtype=np.float32)
        )  # a copy: the cached one is read-only

    def batch(self, rng: np.random.Generator, size: int) -> dict:
        span = (CROP_FRAMES - 1) * SPEC.hop_length + SPEC.n_fft  # padded samples behind CROP_FRAMES frames
        crops = []
        for recording in self.mix.draw(rng, size):
            frames = (len(recording) - 2 * PAD) // SPEC.hop_length
            start = int(rng.integers(0, frames - CROP_FRAMES + 1)) * SPEC.hop_length
            crops.append(recording[start : start + span])
        padded = torch.from_numpy(np.stack(crops).astype(np.float32))
        spectrum = torch.stft(
            padded,
            SPEC.n_fft,
            SPEC.hop_length,
            SPEC.win_length,
            self.window,
            center=False,
            return_complex=True,
        )
        mel = torch.log(torch.clamp(self.filters @ spectrum.abs(), min=SPEC.clamp))
        wave = padded[:, PAD : PAD + CROP_FRAMES * SPEC.hop_length]
        return {"mel": mel, "spectrum": spectrum, "wave": wave}

    def loss(self, batch: dict) -> tuple[torch.Tensor, dict]:
        target = batch["spectrum"]
        log_magnitude, phase = self.model.spectrum(batch["mel"])
        magnitude = target.abs()
        magnitude_loss = F.l1_loss(log_magnitude, torch.log(magnitude.clamp(min=SPEC.clamp)))
        # phase matters where there is energy: weight each bin by its share of the crop's magnitude
        weight = magnitude / magnitude.mean(dim=(1, 2), keepdim=True).clamp(min=1e-8)
        error = phase - torch.angle(target)
        instantaneous = (weight * anti_wrapped(error)).mean()
        group_delay = (weight[:, 1:] * anti_wrapped(error.diff(dim=1))).mean()
        frequency = (weight[..., 1:] * anti_wrapped(error.diff(dim=2))).mean()
        wave = self.model.synthesize(log_magnitude, phase)
        waveform_loss = multi_resolution_stft_loss(wave, batch["wave"])
        loss = magnitude_loss + instantaneous + group_delay + frequency + waveform_loss
        return loss, {
            "log_mag": magnitude_loss.item(),
            "ip": instantaneous.item(),
            "gd": group_delay.item(),
            "iaf": frequency.item(),
            "stft": waveform_loss.item(),
        }

    def save(self, path: str, *, train_info: dict) -> None:
        save_checkpoint(
            path,
            Checkpoint(
                model="vocos",
                config={"model": self.model.config.to_dict(), "crop_frames": CROP_FRAMES},
                feature_spec=SPEC,
                state_dict=self.model.state_dict(),
                train={**train_info, **self.data_info, "parameters": parameter_count(self.model)},
            ),
        )


def multi_resolution_stft_loss(predicted: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean over ``RESOLUTIONS`` of spectral convergence plus log-magnitude L1 (Yamamoto et al. 2020)."""
    total = predicted.new_zeros(())
    for n_fft, hop in RESOLUTIONS:
        window = torch.hann_window(n_fft)
        p, t = (
            torch.stft(x, n_fft, hop, window=window, return_complex=True).abs().clamp(min=1e-7)
            for x in (predicted, target)
        )
        convergence = torch.linalg.norm(t - p) / torch.linalg.norm(t).clamp(min=1e-7)
        total = total + convergence + F.l1_loss(torch.log(p), torch.log(t))
    return total / len(RESOLUTIONS)


DEFAULTS = {"steps": 100000, "batch": 16, "lr": 0.0005, "lr_decay": 0.95, "decay_every": 2000}


def add_arguments(parser) -> None:
    parser.add_argument(
        "--corpus", action="append", required=True, help="corpus folder (repeat to mix); its train split"
    )
    parser.add_argument("--mix", default=None, help="each corpus's share of a batch, e.g. 0.5,0.5")


def make_task(args) -> tuple[VocosTask, dict]:
    shares = parse_shares(args.mix)
    recordings = [load_recordings(root) for root in args.corpus]
    info = corpora_record(args.corpus, shares)
    info["recordings"] = [len(r) for r in recordings]
    return VocosTask(recordings, shares=shares, data_info=info), DEFAULTS
