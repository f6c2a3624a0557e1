"""EMA vector quantizer of AlignSTS's rhythm (VQ-VAE's codebook update by exponential moving averages)."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


class EMAQuantizer(nn.Module):
    """``codes`` vectors of ``channels`` dims, updated by EMA of their assigned inputs in training.

    Two additions to AlignSTS's quantizer, both for a short CPU training where a code that loses its
    inputs early never gets any back: the codebook starts from the first batch's vectors, and a code whose
    EMA count falls below ``restart_below`` is moved onto a random input vector of the current batch.
    """

    def __init__(
        self,
        codes: int,
        channels: int,
        *,
        decay: float = 0.999,
        eps: float = 1e-5,
        restart_below: float = 0.05,
    ):
        super().__init__()
        self.decay, self.eps, self.restart_below = decay, eps, restart_below
        self.register_buffer("codebook", torch.empty(codes, channels).uniform_(-1 / 512, 1 / 512))
        self.register_buffer("ema_count", torch.ones(codes))
        self.register_buffer("ema_sum", self.codebook.clone())
        self.register_buffer("initialized", torch.zeros((), dtype=torch.bool))

    def lookup(self, indices: torch.Tensor) -> torch.Tensor:
        """(…) code indices → (…, H) code vectors."""
        return F.embedding(indices, self.codebook)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """x (B, T, H), mask (B, T) bool of valid frames →
        straight-through quantized (B, T, H), code indices (B, T), commitment MSE(x, sg[q]) over valid frames.
        """
        flat = x.detach()[mask]
        if self.training and flat.shape[0] > 0:
            self._update(flat)
        distances = torch.cdist(x.detach().reshape(-1, x.shape[-1]), self.codebook)
        indices = distances.argmin(dim=-1).reshape(x.shape[:-1])
        quantized = self.lookup(indices)
        valid = mask[..., None].to(x)
        commitment = ((x - quantized.detach()) ** 2 * valid).sum() / (valid.sum() * x.shape[-1]).clamp_min(1)
        return x + (quantized - x).detach(), indices, commitment

    @torch.no_grad()
    def _update(self, flat: torch.Tensor) -> None:
        codes = self.codebook.shape[0]
        if not bool(self.initialized):
            picks = torch.randint(flat.shape[0], (codes,))
            self.codebook.copy_(flat[picks])
            self.ema_sum.copy_(flat[picks])
            self.ema_count.fill_(1.0)
            self.initialized.fill_(True)
        assign = F.one_hot(torch.cdist(flat, self.codebook).argmin(dim=-1), codes).to(flat)
        share = flat.shape[0] / codes  # counts are kept per average share, so the threshold is size-free
        self.ema_count.mul_(self.decay).add_(assign.sum(0) / share, alpha=1 - self.decay)
        self.ema_sum.mul_(self.decay).add_(assign.T @ flat / share, alpha=1 - self.decay)
        total = self.ema_count.sum()
        count = (self.ema_count + self.eps) / (total + codes * self.eps) * total
        self.codebook.copy_(self.ema_sum / count[:, None])
        dead = self.ema_count < self.restart_below * total / codes
        if dead.any():
            picks = torch.randint(flat.shape[0], (int(dead.sum()),))
            self.codebook[dead] = flat[picks]
            self.ema_sum[dead] = flat[picks]
            self.ema_count[dead] = total / codes
