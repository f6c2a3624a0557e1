"""AlignSTS (Li et al., ACL Findings 2023), scaled down: nn.Modules only.

Shapes: B batch; T1 output (singing) mel frames at 11.6 ms; T2 content frames at 10 ms; Tc = ⌈T1 / 2⌉
rhythm-code frames; H channels; P = 40 phone classes; M = 80 mel bins.

    content (B, P, T2) ──ContentEncoder──► c (B, T2, H)
    pitch, onsets (B, T1) ──PitchEncoder──► p (B, T1, H)   [pitch: coarse F0 bin, or note, per frame]
    rhythm r (B, T1) ──RhythmEncoder──► (B, Tc, H) ──VQ (6 codes)──► codes     [training: teacher forcing]
    p, c ──RhythmAdaptor (cross-attention p → c, window ±15 %)──► code logits (B, Tc, 6) [inference: argmax]
    codes ──×2 nearest──► q (B, T1, H) ──Aligner (cross-attention q → c, 2 layers, 2 heads, ±10 %)──► a
    a + p + speaker ──MelDecoder──► mel (B, M, T1)

Variants (the ablations of the AlignSTS demo page): ``no_rhythm_adaptor`` takes the rhythm from the
speech's own envelope stretched to T1; ``no_aligner`` replaces the aligner by the content interpolated
to T1; ``no_f0_skip`` leaves p out of the fusion.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from models.alignsts.attention import CrossFormer
from models.alignsts.vq import EMAQuantizer

VARIANTS = ("full", "no_rhythm_adaptor", "no_aligner", "no_f0_skip")
NOTE_CLASSES = 129  # 0 rest, MIDI 0–127 as 1–128
PITCH_INPUTS = ("notes", "contour")


@dataclass(frozen=True)
class AlignSTSConfig:
    variant: str = "full"
    phones: int = 40
    n_mels: int = 80
    channels: int = 64
    rhythm_codes: int = 6
    ffn_channels: int = 128
    ffn_kernel: int = 5
    predictor_window: float = 0.3  # ±15 % of the content length
    aligner_window: float = 0.2  # ±10 %
    aligner_layers: int = 2
    aligner_heads: int = 2
    predictor_dropout: float = 0.5
    decoder_channels: int = 96
    decoder_dilations: tuple[int, ...] = (1, 2, 4, 1, 2)
    speaker_dims: int = 80
    #: "contour": the target F0 per frame as a coarse bin (the paper's); "notes": the note per frame (our
    #: first checkpoints, which predate contour conditioning)
    pitch_input: str = "notes"

    def __post_init__(self):
        if self.variant not in VARIANTS:
            raise ValueError(f"variant must be one of {VARIANTS}, not {self.variant!r}")
        if self.pitch_input not in PITCH_INPUTS:
            raise ValueError(f"pitch_input must be one of {PITCH_INPUTS}, not {self.pitch_input!r}")

    @property
    def pitch_classes(self) -> int:
        from models.alignsts.features import F0_BINS

        return F0_BINS if self.pitch_input == "contour" else NOTE_CLASSES

    def to_dict(self) -> dict:
        return {**dataclasses.asdict(self), "decoder_dilations": list(self.decoder_dilations)}

    @classmethod
    def from_dict(cls, data: dict) -> AlignSTSConfig:
        return cls(**{**data, "decoder_dilations": tuple(data["decoder_dilations"])})


class ChannelNorm(nn.LayerNorm):
    """LayerNorm over the channels of each frame of (B, C, T). AlignSTS uses GroupNorm, whose statistics
    run over time too, so an item's output would depend on the padding its batch adds to it."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x.transpose(1, 2)).transpose(1, 2)


class ConvStack(nn.Module):
    """``layers`` × [Conv1d (the first with ``stride``) → ChannelNorm → ReLU] on (B, C, T).

    Padding frames are zeroed before every convolution, so a padded item gives what it gives alone.
    """

    def __init__(self, channels_in: int, channels: int, kernel: int, layers: int, stride: int = 1):
        super().__init__()
        self.convs = nn.ModuleList(
            nn.Conv1d(
                channels_in if i == 0 else channels, channels, kernel, stride if i == 0 else 1, kernel // 2
            )
            for i in range(layers)
        )
        self.norms = nn.ModuleList(ChannelNorm(channels) for _ in range(layers))

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x (B, C, T), lengths (B,) → (B, H, T / stride) zero past the new lengths, and those lengths."""
        for conv, norm in zip(self.convs, self.norms, strict=True):
            x = x * lengths_mask(lengths, x.shape[-1])[:, None].to(x)
            x = F.relu(norm(conv(x)))
            stride = conv.stride[0]
            lengths = torch.div(lengths + stride - 1, stride, rounding_mode="floor")
        return x * lengths_mask(lengths, x.shape[-1])[:, None].to(x), lengths


def lengths_mask(lengths: torch.Tensor, t: int) -> torch.Tensor:
    """(B, T) bool, True on each item's first ``lengths[b]`` frames."""
    return torch.arange(t, device=lengths.device)[None, :] < lengths[:, None]


def code_lengths(lengths: torch.Tensor) -> torch.Tensor:
    return torch.div(lengths + 1, 2, rounding_mode="floor")


def stretch_items(x: torch.Tensor, lengths: torch.Tensor, new_lengths: torch.Tensor, t: int) -> torch.Tensor:
    """(B, T, H) → (B, t, H): each item's first ``lengths[b]`` frames linearly stretched to ``new_lengths[b]``."""
    out = x.new_zeros(x.shape[0], t, x.shape[2])
    for b in range(x.shape[0]):
        item = x[b, : int(lengths[b])].T[None]
        out[b, : int(new_lengths[b])] = F.interpolate(item, size=int(new_lengths[b]), mode="linear")[0].T
    return out


class PitchEncoder(nn.Module):
    def __init__(self, channels: int, classes: int = NOTE_CLASSES):
        super().__init__()
        self.notes = nn.Embedding(classes, channels)
        self.onsets = nn.Embedding(2, channels)
        self.convs = ConvStack(channels, channels, 5, 3)

    def forward(self, notes: torch.Tensor, onsets: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """notes (pitch tokens), onsets (B, T1) long → (B, T1, H), zero past each item's length."""
        x = self.notes(notes) + self.onsets(onsets)
        return self.convs(x.transpose(1, 2), lengths)[0].transpose(1, 2)


class RhythmAdaptor(nn.Module):
    """Predicts the rhythm codes from the pitch features attending to the content (AlignSTS's predictor)."""

    def __init__(self, cfg: AlignSTSConfig):
        super().__init__()
        h = cfg.channels
        self.attention = CrossFormer(
            h, layers=1, heads=1, window=cfg.predictor_window, ffn_channels=cfg.ffn_channels,
            ffn_kernel=cfg.ffn_kernel, dropout=0.1,
        )  # fmt: skip
        self.down = nn.Conv1d(h, h, 5, stride=2, padding=2)
        self.conv = nn.Conv1d(h, h, 5, padding=2)
        self.norms = nn.ModuleList([nn.LayerNorm(h), nn.LayerNorm(h)])
        self.dropout = nn.Dropout(cfg.predictor_dropout)
        self.out = nn.Linear(h, cfg.rhythm_codes)

    def forward(self, pitch, content, lengths, content_lengths, speaker):
        """pitch (B, T1, H), content (B, T2, H), speaker (B, H) → logits (B, Tc, codes), attention (B, T1, T2)."""
        x, attentions = self.attention(pitch, content, lengths, content_lengths)
        x = x + speaker[:, None]
        for conv, norm, n in zip(
            (self.down, self.conv), self.norms, (lengths, code_lengths(lengths)), strict=True
        ):
            x = x * lengths_mask(n, x.shape[1])[..., None].to(x)
            x = self.dropout(norm(F.relu(conv(x.transpose(1, 2))).transpose(1, 2)))
        return self.out(x), attentions[0]


class MelDecoder(nn.Module):
    """Non-autoregressive dilated residual convolutions: (B, T1, H) → mel (B, M, T1)."""

    def __init__(self, cfg: AlignSTSConfig):
        super().__init__()
        d = cfg.decoder_channels
        self.inp = nn.Conv1d(cfg.channels, d, 1)
        self.norms = nn.ModuleList(ChannelNorm(d) for _ in cfg.decoder_dilations)
        self.dilated = nn.ModuleList(
            nn.Conv1d(d, d, 5, padding=2 * k, dilation=k) for k in cfg.decoder_dilations
        )
        self.mix = nn.ModuleList(nn.Conv1d(d, d, 1) for _ in cfg.decoder_dilations)
        self.out = nn.Conv1d(d, cfg.n_mels, 1)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """x (B, T1, H), mask (B, T1) → (B, M, T1); residual blocks norm → GELU → dilated conv → GELU → 1×1."""
        m = mask[:, None].to(x)
        h = self.inp(x.transpose(1, 2)) * m
        for norm, dilated, mix in zip(self.norms, self.dilated, self.mix, strict=True):
            h = (h + mix(F.gelu(dilated(F.gelu(norm(h)) * m)))) * m
        return self.out(h)


class AlignSTS(nn.Module):
    def __init__(self, cfg: AlignSTSConfig):
        super().__init__()
        h = cfg.channels
        self.cfg = cfg
        self.content_encoder = ConvStack(cfg.phones, h, 3, 2)
        self.pitch_encoder = PitchEncoder(h, cfg.pitch_classes)
        self.rhythm_encoder = ConvStack(1, h, 7, 2, stride=2)
        self.quantizer = EMAQuantizer(cfg.rhythm_codes, h)
        self.speaker = nn.Linear(cfg.speaker_dims, h)
        if cfg.variant not in ("no_rhythm_adaptor",):
            self.adaptor = RhythmAdaptor(cfg)
        if cfg.variant != "no_aligner":
            self.aligner = CrossFormer(
                h, layers=cfg.aligner_layers, heads=cfg.aligner_heads, window=cfg.aligner_window,
                ffn_channels=cfg.ffn_channels, ffn_kernel=cfg.ffn_kernel, dropout=0.1,
            )  # fmt: skip
        self.decoder = MelDecoder(cfg)

    def forward(
        self,
        content: torch.Tensor,
        content_lengths: torch.Tensor,
        notes: torch.Tensor,
        onsets: torch.Tensor,
        lengths: torch.Tensor,
        speaker: torch.Tensor,
        rhythm: torch.Tensor | None = None,
    ) -> dict[str, torch.Tensor]:
        """content (B, P, T2) log posteriors; notes (pitch tokens: coarse F0 bins or notes, as
        ``cfg.pitch_input`` says), onsets (B, T1); speaker (B, 80) mean log mel;
        rhythm (B, T1): the teacher-forced rhythm envelope (training, and the w/o-adaptor variant always:
        then it is the speech's envelope stretched to T1), or None to use the predicted codes.

        Returns ``mel`` (B, M, T1) and, when computed, ``code_logits`` (B, Tc, codes), ``codes`` (B, Tc)
        (the VQ's, targets of the logits), ``commitment`` (scalar), ``attention_adaptor`` and
        ``attentions_aligner`` (B, T1, T2) each.
        """
        t1 = notes.shape[1]
        mask = lengths_mask(lengths, t1)
        content_h = self.content_encoder(content / 5.0, content_lengths)[0].transpose(1, 2)
        pitch = self.pitch_encoder(notes, onsets, lengths)
        speaker_h = self.speaker((speaker + 5.0) / 3.0)
        out: dict[str, torch.Tensor] = {}
        if self.cfg.variant != "no_rhythm_adaptor":
            logits, attention = self.adaptor(pitch, content_h, lengths, content_lengths, speaker_h)
            out["code_logits"], out["attention_adaptor"] = logits, attention
        if rhythm is not None:
            encoded, n_codes = self.rhythm_encoder(rhythm[:, None], lengths)
            quantized, codes, commitment = self.quantizer(
                encoded.transpose(1, 2), lengths_mask(n_codes, encoded.shape[2])
            )
            out["codes"], out["commitment"] = codes, commitment
        elif "code_logits" not in out:
            raise ValueError(
                "the no_rhythm_adaptor variant needs the rhythm (the speech's stretched envelope)"
            )
        else:
            quantized = self.quantizer.lookup(out["code_logits"].argmax(dim=-1))
        q = quantized.repeat_interleave(2, dim=1)[:, :t1]
        if self.cfg.variant == "no_aligner":
            aligned = q + stretch_items(content_h, content_lengths, lengths, t1)
        else:
            aligned, attentions = self.aligner(q, content_h, lengths, content_lengths)
            out["attentions_aligner"] = torch.stack(attentions)
        fused = aligned + speaker_h[:, None]
        if self.cfg.variant != "no_f0_skip":
            fused = fused + pitch
        out["mel"] = self.decoder(fused * mask[..., None], mask)
        return out


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
