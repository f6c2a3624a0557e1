"""The voice-style VAE: a convolutional variational autoencoder on HiFi-GAN log-mel patches.

One encoder and one decoder serve the Scream Machine blog's two modes. The encoder sees the input
log-mel and a constant *mode* plane (0: input-to-input reconstruction, 1: input-to-target conversion)
and returns a Gaussian posterior over a latent map with a time axis (``z_channels × 20 × T/4``); the
shared decoder turns a latent map back into a log-mel. With ``residual`` (the default) the decoder's
output is added to the input log-mel, so the latent carries what the target changes, not the whole
spectrogram. Style strength at inference interpolates between the two modes' posterior means in that
latent space: ``z = (1 − s)·μ_rec + s·μ_conv``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

N_MELS = 80
TIME_STRIDE = 4  # the encoder halves time twice: inputs are padded to a multiple of this


@dataclass(frozen=True)
class VAEConfig:
    channels: tuple[int, int, int] = (16, 32, 64)
    z_channels: int = 16
    residual: bool = True
    #: log-mel normalisation: (ln mel − mean) / scale; fixed so the checkpoint needs no data statistics
    mel_mean: float = -5.0
    mel_scale: float = 2.5

    def to_dict(self) -> dict:
        return {**asdict(self), "channels": list(self.channels)}

    @classmethod
    def from_dict(cls, values: dict) -> VAEConfig:
        return cls(**{**values, "channels": tuple(values["channels"])})


class FrameNorm(nn.Module):
    """Normalisation over channels and mel bands of each frame separately, with a per-channel affine.

    Local in time (unlike GroupNorm, whose statistics span the whole input), so a 0.74 s training crop and
    a minute-long input are normalised alike, and chunked inference is exact.
    """

    def __init__(self, channels: int, eps: float = 1e-5):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(1, channels, 1, 1))
        self.bias = nn.Parameter(torch.zeros(1, channels, 1, 1))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, F, T) → (B, C, F, T)."""
        mean = x.mean(dim=(1, 2), keepdim=True)
        var = x.var(dim=(1, 2), keepdim=True, unbiased=False)
        return (x - mean) * torch.rsqrt(var + self.eps) * self.weight + self.bias


def _block(c_in: int, c_out: int, **kwargs) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, **kwargs), FrameNorm(c_out), nn.LeakyReLU(0.2))


class Encoder(nn.Module):
    """(B, 80, T) normalised log-mel and (B,) modes → μ, log σ² each (B, Z, 20, T/4)."""

    def __init__(self, cfg: VAEConfig):
        super().__init__()
        c1, c2, c3 = cfg.channels
        self.net = nn.Sequential(
            _block(2, c1, kernel_size=3, padding=1),
            _block(c1, c2, kernel_size=4, stride=2, padding=1),
            _block(c2, c2, kernel_size=3, padding=1),
            _block(c2, c3, kernel_size=4, stride=2, padding=1),
            _block(c3, c3, kernel_size=3, padding=1),
        )
        self.head = nn.Conv2d(c3, 2 * cfg.z_channels, kernel_size=3, padding=1)

    def forward(self, mel: torch.Tensor, mode: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        plane = mode.view(-1, 1, 1, 1).expand(-1, 1, *mel.shape[1:]).to(mel.dtype)
        h = self.net(torch.cat([mel.unsqueeze(1), plane], dim=1))
        mu, logvar = self.head(h).chunk(2, dim=1)
        return mu, logvar.clamp(-12.0, 6.0)


class Decoder(nn.Module):
    """(B, Z, 20, T/4) latent map → (B, 80, T) normalised log-mel (or its change, when residual)."""

    def __init__(self, cfg: VAEConfig):
        super().__init__()
        c1, c2, c3 = cfg.channels
        self.net = nn.Sequential(
            _block(cfg.z_channels, c3, kernel_size=3, padding=1),
            _block(c3, c3, kernel_size=3, padding=1),
            nn.ConvTranspose2d(c3, c2, kernel_size=4, stride=2, padding=1),
            nn.LeakyReLU(0.2),
            _block(c2, c2, kernel_size=3, padding=1),
            nn.ConvTranspose2d(c2, c1, kernel_size=4, stride=2, padding=1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(c1, 1, kernel_size=3, padding=1),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z).squeeze(1)


class StyleVAE(nn.Module):
    """Both modes of the blog in one network; every tensor is a normalised log-mel (B, 80, T), T % 4 == 0."""

    def __init__(self, cfg: VAEConfig | None = None):
        super().__init__()
        self.cfg = cfg or VAEConfig()
        self.encoder = Encoder(self.cfg)
        self.decoder = Decoder(self.cfg)

    def normalise(self, log_mel: torch.Tensor) -> torch.Tensor:
        return (log_mel - self.cfg.mel_mean) / self.cfg.mel_scale

    def denormalise(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.cfg.mel_scale + self.cfg.mel_mean

    def encode(self, x: torch.Tensor, mode: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, 80, T) and (B,) modes in {0, 1} → posterior μ, log σ² (B, Z, 20, T/4)."""
        return self.encoder(x, mode)

    def decode(self, z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Latent (B, Z, 20, T/4) and the input (B, 80, T) → output (B, 80, T)."""
        out = self.decoder(z)
        return x + out if self.cfg.residual else out

    def forward(
        self, x: torch.Tensor, mode: torch.Tensor, *, sample: bool = True
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(B, 80, T), (B,) → (output (B, 80, T), μ, log σ²); z is drawn by reparameterisation when ``sample``."""
        mu, logvar = self.encode(x, mode)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar) if sample else mu
        return self.decode(z, x), mu, logvar

    def stylise(self, x: torch.Tensor, strength: float) -> torch.Tensor:
        """(B, 80, T) → (B, 80, T) at a style strength: 0 reconstructs, 1 converts, between interpolates
        the two posterior means in latent space."""
        ones = torch.ones(x.shape[0], device=x.device)
        mu_rec, _ = self.encode(x, 0 * ones)
        mu_conv, _ = self.encode(x, ones)
        return self.decode(torch.lerp(mu_rec, mu_conv, float(strength)), x)


def kl_divergence(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(μ, σ²) ‖ N(0, 1)) summed over latent dimensions, averaged over the batch: a scalar (nats)."""
    per_item = 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).flatten(1).sum(dim=1)
    return per_item.mean()


def kl_weight(step: int, *, beta: float, warmup_steps: int) -> float:
    """KL annealing: β ramps linearly from 0 over ``warmup_steps`` (Bowman et al. 2016), then stays."""
    if warmup_steps <= 0:
        return beta
    return beta * min(1.0, step / warmup_steps)


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
