"""The phoneme recognizer's network: log mel frames → per-frame logits over the 39 CMU phones + SIL.

Each utterance's log mel is normalized per mel bin over its own frames (mean and standard deviation,
padding excluded), which removes a fixed channel colouring and the overall level. A 1-D convolution stack
(residual blocks, frame-wise layer norm) runs at half the frame rate (a stride-2 input convolution; 20 ms
is finer than any phone, and it halves the cost on one CPU thread) and gives every frame ~0.4 s of context;
a bidirectional GRU adds the whole utterance's. The logits are interpolated back to one per input frame.

Shapes: ``mel`` (B, n_mels, T), ``lengths`` (B,) valid frames per item (None: all T); logits (B, n_phones, T).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn import functional as F

from models.corpus.phones import PHONES


@dataclass(frozen=True)
class PPGConfig:
    n_mels: int = 80
    channels: int = 160
    conv_layers: int = 4
    kernel: int = 5
    gru_hidden: int = 128
    stride: int = 2
    dropout: float = 0.1
    n_phones: int = len(PHONES)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> PPGConfig:
        return cls(**data)


def frame_mask(lengths: torch.Tensor | None, batch: int, frames: int) -> torch.Tensor:
    """(B, T) bool, True on the valid frames of each item."""
    if lengths is None:
        return torch.ones(batch, frames, dtype=torch.bool)
    return torch.arange(frames).unsqueeze(0) < lengths.unsqueeze(1)


def normalize_per_utterance(mel: torch.Tensor, mask: torch.Tensor, eps: float = 1e-3) -> torch.Tensor:
    """(B, F, T) → each bin minus its mean over the valid frames, divided by their standard deviation."""
    weight = mask.unsqueeze(1).to(mel.dtype)  # (B, 1, T)
    count = weight.sum(-1, keepdim=True).clamp(min=1.0)
    mean = (mel * weight).sum(-1, keepdim=True) / count
    var = ((mel - mean) ** 2 * weight).sum(-1, keepdim=True) / count
    return (mel - mean) / torch.sqrt(var + eps) * weight


class _ConvBlock(nn.Module):
    """x + dropout(GELU(layer norm(conv(x)))) on (B, C, T); the norm is per frame, so padding never leaks."""

    def __init__(self, channels: int, kernel: int, dropout: float):
        super().__init__()
        self.conv = nn.Conv1d(channels, channels, kernel, padding=kernel // 2)
        self.norm = nn.LayerNorm(channels)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.norm(self.conv(x).transpose(1, 2)).transpose(1, 2)
        return x + self.dropout(F.gelu(y))


class PhoneRecognizerNet(nn.Module):
    def __init__(self, config: PPGConfig | None = None):
        super().__init__()
        self.config = c = config or PPGConfig()
        self.inp = nn.Conv1d(c.n_mels, c.channels, c.kernel, stride=c.stride, padding=c.kernel // 2)
        self.blocks = nn.Sequential(
            *(_ConvBlock(c.channels, c.kernel, c.dropout) for _ in range(c.conv_layers))
        )
        self.gru = nn.GRU(c.channels, c.gru_hidden, batch_first=True, bidirectional=True)
        self.dropout = nn.Dropout(c.dropout)
        self.out = nn.Conv1d(2 * c.gru_hidden, c.n_phones, 1)

    def forward(self, mel: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """(B, n_mels, T) log mel → (B, n_phones, T) logits; frames past ``lengths`` are padding."""
        batch, _, frames = mel.shape
        mask = frame_mask(lengths, batch, frames).to(mel.device)
        x = F.gelu(self.inp(normalize_per_utterance(mel, mask)))
        if (
            lengths is not None
        ):  # zero the padding after every layer: a padded item then sees what it would alone
            reduced = (lengths - 1) // self.config.stride + 1
            keep = frame_mask(reduced, batch, x.shape[-1]).to(x.device).unsqueeze(1).to(x.dtype)
            for block in self.blocks:
                x = block(x * keep)
            x = x * keep
        else:
            x = self.blocks(x)
        x = x.transpose(1, 2)  # (B, T / stride, C)
        if lengths is not None:
            packed = nn.utils.rnn.pack_padded_sequence(
                x, reduced.cpu(), batch_first=True, enforce_sorted=False
            )
            x = nn.utils.rnn.pad_packed_sequence(
                self.gru(packed)[0], batch_first=True, total_length=x.shape[1]
            )[0]
        else:
            x = self.gru(x)[0]
        logits = self.out(self.dropout(x).transpose(1, 2))
        return F.interpolate(logits, scale_factor=self.config.stride, mode="linear", align_corners=False)[
            ..., :frames
        ]


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
