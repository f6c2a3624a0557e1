"""A Vocos-style vocoder (Siuzdak, ICLR 2024), scaled down: nn.Modules only.

Shapes: B batch; M = 80 mel bins; T mel frames (hop 256 at 22 050 Hz); C channels; K = n_fft / 2 + 1.

    log-mel (B, M, T) ──Conv1d k7──► (B, C, T) ──LayerNorm──► N × ConvNeXt block ──LayerNorm──►
    ──Linear──► log-magnitude and phase (B, K, T) each ──► S = e^m · (cos φ + i sin φ)
    ──inverse FFT per frame, Hann window, overlap-add──► waveform (B, T · 256)

Every layer runs at the frame rate; only the inverse FFT works at the sample rate, which is why it is
fast. The synthesis frames mirror HiFi-GAN's analysis (``features.HIFIGAN_MEL``: n_fft 1024, hop 256,
``center=False`` after 384 samples of reflect padding), so frame t of the prediction is frame t of the
target's STFT and the losses can compare spectra directly.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F


@dataclass(frozen=True)
class VocosConfig:
    n_mels: int = 80
    channels: int = 192  # Vocos: 512 and 1536; scaled to what 45 CPU minutes can train
    intermediate: int = 576
    layers: int = 8
    kernel_size: int = 7
    n_fft: int = 1024
    hop_length: int = 256
    max_log_magnitude: float = 4.6  # e^4.6 ≈ 100: Vocos clips the magnitude there too

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> VocosConfig:
        return cls(**values)


class ConvNeXtBlock(nn.Module):
    """Depthwise conv → LayerNorm → pointwise expand, GELU, project → layer scale, residual."""

    def __init__(self, channels: int, intermediate: int, kernel_size: int, layer_scale: float) -> None:
        super().__init__()
        self.depthwise = nn.Conv1d(channels, channels, kernel_size, padding=kernel_size // 2, groups=channels)
        self.norm = nn.LayerNorm(channels)
        self.expand = nn.Linear(channels, intermediate)
        self.project = nn.Linear(intermediate, channels)
        self.scale = nn.Parameter(torch.full((channels,), layer_scale))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, T) → (B, C, T)."""
        y = self.depthwise(x).transpose(1, 2)  # (B, T, C): the pointwise layers are Linear
        y = self.project(F.gelu(self.expand(self.norm(y))))
        return x + (self.scale * y).transpose(1, 2)


class VocosGenerator(nn.Module):
    """Log-mel (B, M, T) → waveform (B, T · hop_length)."""

    def __init__(self, config: VocosConfig = VocosConfig()) -> None:
        super().__init__()
        self.config = config
        c = config.channels
        self.embed = nn.Conv1d(config.n_mels, c, config.kernel_size, padding=config.kernel_size // 2)
        self.norm_in = nn.LayerNorm(c)
        self.blocks = nn.ModuleList(
            ConvNeXtBlock(c, config.intermediate, config.kernel_size, 1.0 / config.layers)
            for _ in range(config.layers)
        )
        self.norm_out = nn.LayerNorm(c)
        self.head = nn.Linear(c, config.n_fft + 2)  # K log-magnitudes, then K phases
        self.register_buffer("window", torch.hann_window(config.n_fft), persistent=False)

    def spectrum(self, mel: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, M, T) → log-magnitude and phase, each (B, K, T)."""
        x = self.norm_in(self.embed(mel).transpose(1, 2)).transpose(1, 2)
        for block in self.blocks:
            x = block(x)
        out = self.head(self.norm_out(x.transpose(1, 2))).transpose(1, 2)
        log_magnitude, phase = out.chunk(2, dim=1)
        return log_magnitude.clamp(max=self.config.max_log_magnitude), phase

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        log_magnitude, phase = self.spectrum(mel)
        return self.synthesize(log_magnitude, phase)

    def synthesize(self, log_magnitude: torch.Tensor, phase: torch.Tensor) -> torch.Tensor:
        """Log-magnitude and phase (B, K, T) → waveform (B, T · hop) by windowed overlap-add."""
        magnitude = torch.exp(log_magnitude)
        spectrum = torch.complex(magnitude * torch.cos(phase), magnitude * torch.sin(phase))
        return overlap_add(spectrum, self.window, self.config.hop_length)


def overlap_add(spectrum: torch.Tensor, window: torch.Tensor, hop: int) -> torch.Tensor:
    """Complex STFT frames (B, K, T) → the waveform (B, T · hop) whose ``center=False`` STFT after
    (n_fft − hop) / 2 samples of padding each side they are: least-squares inverse (window² normalised)."""
    n_fft = window.shape[0]
    frames = torch.fft.irfft(spectrum, n=n_fft, dim=1) * window[None, :, None]  # (B, n_fft, T)
    n_frames = frames.shape[-1]
    length = (n_frames - 1) * hop + n_fft
    fold = {"output_size": (1, length), "kernel_size": (1, n_fft), "stride": (1, hop)}
    signal = F.fold(frames, **fold)[:, 0, 0]
    envelope = F.fold((window**2)[None, :, None].expand(1, n_fft, n_frames), **fold)[0, 0, 0]
    pad = (n_fft - hop) // 2
    kept = slice(pad, pad + n_frames * hop)
    return signal[:, kept] / envelope[kept].clamp(min=1e-6)


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
