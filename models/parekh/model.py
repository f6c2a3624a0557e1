"""The encoder–decoder of Parekh, Rao and Yang (ICASSP 2020), speech-to-singing, in PyTorch modules only.

Frequency bins are Conv1d channels and convolutions run over time. Each encoder alternates a
frequency step (fewer channels) with a time step (stride 2), three times each, so both axes shrink
by 8; a GRU after an instance norm sits before the last time step. The decoder mirrors it, adding
residual skip blocks from the speech encoder and, in the multi-task model, a phoneme head on the
penultimate frequency up-sampling block. Widths are the paper's divided by ``ParekhConfig.width_divisor``
(the paper: 512 / 256 / 128 / 64 channels, residual width 32).

Shapes: speech and melody image ``(B, F, T)`` with F = 513; output ``(B, F, T)``; phone logits
``(B, n_phones, T)``. Any T works: the model pads to a multiple of 8 (at least 16) and crops back.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn import functional as F

PAPER_WIDTHS = (512, 256, 128, 64)
PAPER_RES_WIDTH = 32
N_PHONE_CLASSES = 41  # 0 = no label, then the 40 phones of models.corpus.phones.PHONES


@dataclass(frozen=True)
class ParekhConfig:
    n_freq: int = 513
    width_divisor: int = 4
    use_melody: bool = True  # False: Baseline 1 (the melody encoding multiplied by 0)
    instance_norm: bool = True  # False with skips=False: Baseline 2
    skips: bool = True
    all_norm: bool = False  # AllNorm: instance norm before every layer
    phone_head: bool = True  # P-MTL; P-MSE trains with λ = 0 and needs no head
    n_phones: int = N_PHONE_CLASSES
    # "he": He-normal init of every convolution. Without instance norm (B2) PyTorch's default init
    # shrinks the signal about 3× per layer, the melody encoder's output is ~0 and never recovers.
    init: str = "default"

    @property
    def widths(self) -> tuple[int, int, int, int]:
        return tuple(w // self.width_divisor for w in PAPER_WIDTHS)

    @property
    def res_width(self) -> int:
        return max(4, PAPER_RES_WIDTH // self.width_divisor)

    def to_dict(self) -> dict:
        return asdict(self)


class _GRU(nn.Module):
    """A GRU over the time axis of a (B, C, T) tensor."""

    def __init__(self, channels: int):
        super().__init__()
        self.gru = nn.GRU(channels, channels, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.gru(x.transpose(1, 2))[0].transpose(1, 2)


class _Layer(nn.Module):
    """conv → (norm) → (LeakyReLU); with ``pre_norm`` an instance norm on the input first (AllNorm)."""

    def __init__(self, conv: nn.Module, *, norm: int = 0, act: bool = True, pre_norm: int = 0):
        super().__init__()
        self.pre = nn.InstanceNorm1d(pre_norm) if pre_norm else nn.Identity()
        self.conv = conv
        self.norm = nn.InstanceNorm1d(norm) if norm else nn.Identity()
        self.act = nn.LeakyReLU() if act else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.norm(self.conv(self.pre(x))))


def _conv(cin: int, cout: int, k: int, stride: int = 1) -> nn.Conv1d:
    return nn.Conv1d(cin, cout, k, stride=stride, padding=k // 2)


def _up(cin: int, cout: int, k: int = 5) -> nn.ConvTranspose1d:
    return nn.ConvTranspose1d(cin, cout, k, padding=k // 2)


def _up_time(cin: int, cout: int) -> nn.ConvTranspose1d:
    return nn.ConvTranspose1d(cin, cout, 4, stride=2, padding=1)  # exactly doubles T


class Encoder(nn.Module):
    """(B, F, T) → encoding (B, w3, T/8) and the skips C1 (w0, T/2), C3 (w1, T/4), C5 (w2, T/8)."""

    def __init__(self, cfg: ParekhConfig, *, norm_before_gru: bool):
        super().__init__()
        w0, w1, w2, w3 = cfg.widths
        pre = cfg.all_norm

        def layer(cin, cout, k, stride=1, **kw):
            return _Layer(_conv(cin, cout, k, stride), pre_norm=cin if pre else 0, **kw)

        self.down_f0 = layer(cfg.n_freq, w0, 3)
        self.down_t0 = layer(w0, w0, 5, 2)
        self.down_f1 = layer(w0, w1, 5)
        self.down_t1 = layer(w1, w1, 5, 2)
        self.down_f2 = layer(w1, w2, 5, norm=w2 if norm_before_gru else 0, act=False)
        self.gru = _GRU(w2)
        self.down_t2 = layer(w2, w2, 5, 2)
        self.down_f3 = layer(w2, w3, 5)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
        c1 = self.down_t0(self.down_f0(x))
        c3 = self.down_t1(self.down_f1(c1))
        c5 = self.down_t2(self.gru(self.down_f2(c3)))
        return self.down_f3(c5), (c1, c3, c5)


class ResidualSkip(nn.Module):
    """conv → GRU → transposed conv at a narrow width, added to its input: the paper's Res-1/2/3."""

    def __init__(self, channels: int, width: int):
        super().__init__()
        self.down = _conv(channels, width, 5)
        self.gru = _GRU(width)
        self.up = _up(width, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.up(self.gru(self.down(x)))


class PhoneHead(nn.Module):
    """C2 (B, w0, T/2) → per-frame phone logits (B, n_phones, T): transposed conv, GRU, 1×1 conv."""

    def __init__(self, cfg: ParekhConfig):
        super().__init__()
        w0, w1 = cfg.widths[:2]
        self.up = _Layer(_up_time(w0, w1))
        self.gru = _GRU(w1)
        self.out = nn.Conv1d(w1, cfg.n_phones, 1)

    def forward(self, c2: torch.Tensor) -> torch.Tensor:
        return self.out(self.gru(self.up(c2)))


class ParekhSTS(nn.Module):
    def __init__(self, cfg: ParekhConfig = ParekhConfig()):
        super().__init__()
        self.cfg = cfg
        w0, w1, w2, w3 = cfg.widths
        norm = cfg.instance_norm
        pre = cfg.all_norm
        self.speech_encoder = Encoder(cfg, norm_before_gru=norm)
        self.melody_encoder = Encoder(cfg, norm_before_gru=False)
        if cfg.skips:
            self.res1, self.res2, self.res3 = (ResidualSkip(w, cfg.res_width) for w in (w0, w1, w2))

        def layer(conv, cin, **kw):
            return _Layer(conv, pre_norm=cin if pre else 0, **kw)

        self.up_f1 = layer(_up(2 * w3, w2), 2 * w3)
        self.up_t1 = layer(_up_time(w2, w2), w2)
        self.up_f2 = layer(_up(w2, w1), w2)
        self.up_t2 = layer(_up_time(w1, w1), w1)
        self.up_f3 = layer(_up(w1, w0), w1, norm=w0 if norm else 0)
        self.up_t3 = layer(_up_time(w0, w0), w0, norm=w0 if norm else 0, act=False)
        self.gru = _GRU(w0)
        self.up_f4 = layer(_up(w0, cfg.n_freq), w0)
        self.phone_head = PhoneHead(cfg) if cfg.phone_head else None
        if cfg.init == "he":
            _he_init(self)

    def forward(self, speech: torch.Tensor, melody: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(B, F, T) speech log-magnitude and melody image → (B, F, T) singing, phone logits or None."""
        frames = speech.shape[-1]
        pad = max((-frames) % 8, 16 - frames)  # whole multiples of 8, and ≥ 2 frames at T/8 for the norms
        speech, melody = F.pad(speech, (0, pad)), F.pad(melody, (0, pad))
        enc_speech, (c1, c3, c5) = self.speech_encoder(speech)
        enc_melody, _ = self.melody_encoder(melody)
        if not self.cfg.use_melody:
            enc_melody = enc_melody * 0
        skip = self.cfg.skips
        x = self.up_f1(torch.cat([enc_speech, enc_melody], dim=1))
        x = self.up_t1(x + self.res3(c5) if skip else x)
        x = self.up_f2(x)
        x = self.up_t2(x + self.res2(c3) if skip else x)
        c2 = self.up_f3(x)
        x = self.up_t3(c2 + self.res1(c1) if skip else c2)
        out = self.up_f4(self.gru(x))[..., :frames]
        phones = self.phone_head(c2)[..., :frames] if self.phone_head is not None else None
        return out, phones


def _he_init(model: nn.Module) -> None:
    for module in model.modules():
        if isinstance(module, (nn.Conv1d, nn.ConvTranspose1d)):
            # a transposed convolution's weight is (in, out, k): its fan-in is PyTorch's "fan_out"
            mode = "fan_out" if isinstance(module, nn.ConvTranspose1d) else "fan_in"
            nn.init.kaiming_normal_(module.weight, a=0.01, mode=mode, nonlinearity="leaky_relu")
            nn.init.zeros_(module.bias)


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
