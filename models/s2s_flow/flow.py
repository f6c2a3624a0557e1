"""Glow-style invertible flow on mel frames: squeeze → K × [ActNorm → 1×1 conv → affine coupling].

Every layer maps x (B, C, T) to (y, logdet (B,)) forward and y back to x in ``reverse``; logdet is
log|det ∂y/∂x| summed over the whole (C, T) tensor, so a Gaussian prior on y gives the exact likelihood
of x (Glow, Kingma & Dhariwal 2018; Glow-TTS's decoder). No masks: the trainer runs one item at a time.
The couplings may be conditioned on a frame-aligned tensor ``cond`` (as VITS conditions its flow): the
map stays invertible for any fixed ``cond``, which only enters the coupling networks (every layer takes
it, so the decoder runs them alike; actnorm and the 1×1 convolution ignore it).
"""

from __future__ import annotations

import torch
from torch import nn


class ActNorm(nn.Module):
    """Per-channel affine y = x·e^s + b, initialized from the first batch to zero mean, unit variance."""

    def __init__(self, channels: int):
        super().__init__()
        self.log_scale = nn.Parameter(torch.zeros(1, channels, 1))
        self.bias = nn.Parameter(torch.zeros(1, channels, 1))
        self.register_buffer("initialized", torch.tensor(False))

    def forward(
        self, x: torch.Tensor, reverse: bool = False, cond: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if not reverse and not bool(self.initialized) and self.training:
            with torch.no_grad():
                mean = x.mean(dim=(0, 2), keepdim=True)
                std = x.std(dim=(0, 2), keepdim=True).clamp_min(1e-4)
                self.log_scale.copy_(-std.log())
                self.bias.copy_(-mean / std)
                self.initialized.fill_(True)
        logdet = self.log_scale.sum() * x.shape[2] * torch.ones(x.shape[0], device=x.device)
        if reverse:
            return (x - self.bias) * torch.exp(-self.log_scale), -logdet
        return x * torch.exp(self.log_scale) + self.bias, logdet


class InvertibleConv1x1(nn.Module):
    """y[:, :, t] = W x[:, :, t] with W initialized to a random rotation; logdet = T · log|det W|."""

    def __init__(self, channels: int):
        super().__init__()
        w = torch.linalg.qr(torch.randn(channels, channels))[0]
        self.weight = nn.Parameter(w)

    def forward(
        self, x: torch.Tensor, reverse: bool = False, cond: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        logdet = torch.slogdet(self.weight)[1] * x.shape[2] * torch.ones(x.shape[0], device=x.device)
        if reverse:
            return torch.einsum("ij,bjt->bit", torch.linalg.inv(self.weight), x), -logdet
        return torch.einsum("ij,bjt->bit", self.weight, x), logdet


class WaveNetBlock(nn.Module):
    """Non-causal gated dilated convolutions with residual and skip paths (Glow-TTS's coupling network)."""

    def __init__(self, channels: int, hidden: int, kernel: int, layers: int):
        super().__init__()
        self.start = nn.Conv1d(channels, hidden, 1)
        self.dilated = nn.ModuleList(
            nn.Conv1d(hidden, 2 * hidden, kernel, dilation=2**i, padding=(kernel - 1) * 2**i // 2)
            for i in range(layers)
        )
        self.res_skip = nn.ModuleList(nn.Conv1d(hidden, 2 * hidden, 1) for _ in range(layers))
        self.hidden = hidden

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.start(x)
        skip = torch.zeros_like(h)
        for conv, res_skip in zip(self.dilated, self.res_skip, strict=True):
            a, b = conv(h).chunk(2, dim=1)
            out = res_skip(torch.tanh(a) * torch.sigmoid(b))
            h = h + out[:, : self.hidden]
            skip = skip + out[:, self.hidden :]
        return skip


class AffineCoupling(nn.Module):
    """x = [x_a, x_b] → [x_a, x_b · e^s + m] with (m, s) = NN(x_a); the last layer starts at zero (identity)."""

    def __init__(self, channels: int, hidden: int, kernel: int, layers: int, cond_channels: int = 0):
        super().__init__()
        self.half = channels // 2
        self.net = WaveNetBlock(self.half + cond_channels, hidden, kernel, layers)
        self.end = nn.Conv1d(hidden, 2 * (channels - self.half), 1)
        nn.init.zeros_(self.end.weight)
        nn.init.zeros_(self.end.bias)

    def forward(
        self, x: torch.Tensor, reverse: bool = False, cond: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        x_a, x_b = x[:, : self.half], x[:, self.half :]
        net_in = x_a if cond is None else torch.cat([x_a, cond], dim=1)
        m, log_s = self.end(self.net(net_in)).chunk(2, dim=1)
        if reverse:
            return torch.cat([x_a, (x_b - m) * torch.exp(-log_s)], dim=1), -log_s.sum(dim=(1, 2))
        return torch.cat([x_a, x_b * torch.exp(log_s) + m], dim=1), log_s.sum(dim=(1, 2))


def squeeze(x: torch.Tensor, factor: int) -> torch.Tensor:
    """(B, C, T) → (B, C·factor, T/factor): neighbouring frames stacked as channels (T must divide)."""
    b, c, t = x.shape
    return x.view(b, c, t // factor, factor).permute(0, 3, 1, 2).reshape(b, c * factor, t // factor)


def unsqueeze(x: torch.Tensor, factor: int) -> torch.Tensor:
    b, cf, t = x.shape
    return x.view(b, factor, cf // factor, t).permute(0, 2, 3, 1).reshape(b, cf // factor, t * factor)


class FlowDecoder(nn.Module):
    """Mel (B, n_mels, T) ↔ latent z of the same shape; T must be a multiple of ``squeeze_factor``.

    ``cond_channels`` > 0: every coupling also sees ``cond`` (B, cond_channels, T), squeezed like the mel.
    """

    def __init__(
        self,
        n_mels: int,
        *,
        blocks: int,
        hidden: int,
        kernel: int,
        layers: int,
        squeeze_factor: int,
        cond_channels: int = 0,
    ):
        super().__init__()
        self.factor = squeeze_factor
        channels = n_mels * squeeze_factor
        self.layers = nn.ModuleList()
        for _ in range(blocks):
            self.layers.extend(
                [
                    ActNorm(channels),
                    InvertibleConv1x1(channels),
                    AffineCoupling(channels, hidden, kernel, layers, cond_channels * squeeze_factor),
                ]
            )

    def forward(
        self, mel: torch.Tensor, cond: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, n_mels, T) mel → (z (B, n_mels, T), logdet (B,))."""
        x = squeeze(mel, self.factor)
        g = None if cond is None else squeeze(cond, self.factor)
        total = torch.zeros(mel.shape[0], device=mel.device)
        for layer in self.layers:
            x, logdet = layer(x, False, g)
            total = total + logdet
        return unsqueeze(x, self.factor), total

    def reverse(self, z: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        """(B, n_mels, T) latent → (B, n_mels, T) mel."""
        x = squeeze(z, self.factor)
        g = None if cond is None else squeeze(cond, self.factor)
        for layer in reversed(self.layers):
            x, _ = layer(x, True, g)
        return unsqueeze(x, self.factor)
