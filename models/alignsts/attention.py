"""Windowed cross-attention of AlignSTS: the diagonal window mask, guided-attention loss, CrossFormer.

Shapes: B batch, Tq query frames, Tk key frames, H channels. Lengths are per item; frames past an
item's length are padding.
"""

from __future__ import annotations

import math

import torch
from torch import nn


def diagonal_window_mask(
    query_lengths: torch.Tensor, key_lengths: torch.Tensor, t_query: int, t_key: int, width: float
) -> torch.Tensor:
    """(B, Tq, Tk) bool, True where query t may attend key j.

    For a query at t the window centre is c = ⌊t / Tq_b · Tk_b⌋ and the allowed keys are
    [c − ⌊width · Tk_b⌋ / 2, c + ⌊width · Tk_b⌋ / 2) inside the item's keys (at least key c itself).
    Padded query rows may attend key 0 only, so no row is empty (their output is discarded).
    """
    t = torch.arange(t_query, dtype=torch.float64)[None, :, None]
    j = torch.arange(t_key)[None, None, :]
    q_len = query_lengths.to(torch.float64)[:, None, None]
    k_len = key_lengths[:, None, None]
    centre = torch.floor(t / q_len * k_len.to(torch.float64)).long()
    half = torch.div(torch.floor(width * k_len.to(torch.float64)).long(), 2, rounding_mode="floor")
    allowed = (j >= centre - half) & (j < centre + torch.clamp(half, min=1)) & (j < k_len)
    valid_query = t < q_len
    return torch.where(valid_query, allowed, j == 0)


def guided_attention_loss(
    attention: torch.Tensor, query_lengths: torch.Tensor, key_lengths: torch.Tensor, sigma: float
) -> torch.Tensor:
    """Mean over valid (i, j) of A[b, i, j] · (1 − exp(−(j / Tk_b − i / Tq_b)² / (2σ²))); A is (B, Tq, Tk)."""
    _, t_query, t_key = attention.shape
    i = torch.arange(t_query, device=attention.device)[None, :, None].float()
    j = torch.arange(t_key, device=attention.device)[None, None, :].float()
    q_len = query_lengths.float()[:, None, None]
    k_len = key_lengths.float()[:, None, None]
    penalty = 1.0 - torch.exp(-((j / k_len - i / q_len) ** 2) / (2 * sigma**2))
    valid = (i < q_len) & (j < k_len)
    return (attention * penalty * valid).sum() / valid.sum().clamp_min(1)


def sinusoids(length: int, channels: int) -> torch.Tensor:
    """(length, channels) sinusoidal position encodings."""
    position = torch.arange(length, dtype=torch.float32)[:, None]
    rate = torch.exp(torch.arange(0, channels, 2, dtype=torch.float32) * (-math.log(10000.0) / channels))
    out = torch.zeros(length, channels)
    out[:, 0::2] = torch.sin(position * rate)
    out[:, 1::2] = torch.cos(position * rate[: channels // 2])
    return out


class CrossFormerLayer(nn.Module):
    """Pre-LN cross-attention (query → key/value) then a convolutional feed-forward block, both residual."""

    def __init__(self, channels: int, heads: int, ffn_channels: int, ffn_kernel: int, dropout: float):
        super().__init__()
        self.norm_attention = nn.LayerNorm(channels)
        self.attention = nn.MultiheadAttention(channels, heads, bias=False, batch_first=True)
        self.norm_ffn = nn.LayerNorm(channels)
        self.ffn_in = nn.Conv1d(channels, ffn_channels, ffn_kernel, padding=ffn_kernel // 2)
        self.ffn_out = nn.Linear(ffn_channels, channels)
        self.dropout = nn.Dropout(dropout)
        self.heads = heads

    def forward(
        self, query: torch.Tensor, memory: torch.Tensor, allowed: torch.Tensor, query_mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """query (B, Tq, H), memory (B, Tk, H), allowed (B, Tq, Tk), query_mask (B, Tq, 1) →
        (B, Tq, H) and attention (B, Tq, Tk)."""
        mask = (~allowed).repeat_interleave(self.heads, dim=0)  # True = blocked, per head
        attended, weights = self.attention(
            self.norm_attention(query), memory, memory, attn_mask=mask, need_weights=True
        )
        x = query + self.dropout(attended)
        h = self.ffn_in((self.norm_ffn(x) * query_mask).transpose(1, 2)).transpose(1, 2)
        x = x + self.dropout(self.ffn_out(nn.functional.gelu(h)))
        return x, weights


class CrossFormer(nn.Module):
    """Stacked :class:`CrossFormerLayer` with sinusoidal positions (one learnable scale) and a diagonal window."""

    def __init__(
        self,
        channels: int,
        *,
        layers: int,
        heads: int,
        window: float,
        ffn_channels: int,
        ffn_kernel: int = 9,
        dropout: float = 0.1,
    ):
        super().__init__()
        self.window = window
        self.position_scale = nn.Parameter(torch.ones(1))
        self.layers = nn.ModuleList(
            CrossFormerLayer(channels, heads, ffn_channels, ffn_kernel, dropout) for _ in range(layers)
        )
        self.norm = nn.LayerNorm(channels)

    def forward(
        self,
        query: torch.Tensor,
        memory: torch.Tensor,
        query_lengths: torch.Tensor,
        memory_lengths: torch.Tensor,
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """query (B, Tq, H), memory (B, Tk, H) → (B, Tq, H) and each layer's attention (B, Tq, Tk)."""
        channels = query.shape[-1]
        query = query + self.position_scale * sinusoids(query.shape[1], channels).to(query)
        memory = memory + self.position_scale * sinusoids(memory.shape[1], channels).to(memory)
        allowed = diagonal_window_mask(
            query_lengths, memory_lengths, query.shape[1], memory.shape[1], self.window
        )
        query_mask = (torch.arange(query.shape[1])[None, :] < query_lengths[:, None])[..., None].to(query)
        attentions = []
        x = query
        for layer in self.layers:
            x, weights = layer(x, memory, allowed, query_mask)
            attentions.append(weights)
        return self.norm(x), attentions
