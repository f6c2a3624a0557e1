"""AlignSTS's loss terms on padded batches: masked L1 and SSIM of mels, masked cross-entropy."""

from __future__ import annotations

import functools

import torch
from torch.nn import functional as F

SSIM_OFFSET = 6.0  # AlignSTS adds 6 to its log mels before SSIM, so silence sits near 0, not far below it


@functools.lru_cache(maxsize=64)
def _blur_matrix(n: int, size: int, sigma: float) -> torch.Tensor:
    """(n, n) matrix of a zero-padded Gaussian blur along one axis (truncated at ``size // 2``)."""
    x = torch.arange(size, dtype=torch.float32) - size // 2
    g = torch.exp(-(x**2) / (2 * sigma**2))
    g = g / g.sum()
    i = torch.arange(n)
    offset = i[None, :] - i[:, None] + size // 2  # column j's weight for row i
    inside = (offset >= 0) & (offset < size)
    return torch.where(inside, g[offset.clamp(0, size - 1)], torch.zeros(()))


def ssim_map(a: torch.Tensor, b: torch.Tensor, *, size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    """(B, M, T) × 2 → (B, M, T) local SSIM (separable Gaussian window, C1 = 0.01², C2 = 0.03², zero padding).

    The blur is two matrix products rather than an 11 × 11 convolution: on one CPU thread the
    single-channel conv2d's backward took 2.4 s per call, the products take milliseconds.
    """
    rows = _blur_matrix(a.shape[1], size, sigma).to(a)
    cols = _blur_matrix(a.shape[2], size, sigma).to(a)

    def blur(z):
        return rows @ z @ cols.T

    mu_x, mu_y = blur(a), blur(b)
    var_x = blur(a * a) - mu_x**2
    var_y = blur(b * b) - mu_y**2
    cov = blur(a * b) - mu_x * mu_y
    c1, c2 = 0.01**2, 0.03**2
    return ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))


def mel_losses(
    predicted: torch.Tensor, target: torch.Tensor, mask: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Masked mean L1 and masked mean (1 − SSIM) over the valid frames of (B, M, T) mels; mask (B, T)."""
    m = mask[:, None].to(predicted).expand_as(predicted)
    count = m.sum().clamp_min(1)
    l1 = ((predicted - target).abs() * m).sum() / count
    ssim = (ssim_map(predicted + SSIM_OFFSET, target + SSIM_OFFSET) * m).sum() / count
    return l1, 1.0 - ssim


def masked_cross_entropy(logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """logits (B, T, C), targets (B, T), mask (B, T) → mean cross-entropy over valid frames."""
    ce = F.cross_entropy(logits.transpose(1, 2), targets, reduction="none")
    return (ce * mask).sum() / mask.sum().clamp_min(1)
