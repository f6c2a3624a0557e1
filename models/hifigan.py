"""HiFi-GAN V1 generator (Kong, Kim, Bae, NeurIPS 2020), written from the paper's layout.

Only the generator, for inference: weight normalisation is folded into plain weights when the published
checkpoint is loaded (:func:`fold_weight_norm`), so the module holds ordinary convolutions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.nn import functional as F

LRELU_SLOPE: float = 0.1


@dataclass(frozen=True)
class HiFiGANConfig:
    """The V1 generator: 4 transposed-conv upsamplers (×256 in all) and multi-receptive-field fusion."""

    n_mels: int = 80
    upsample_rates: tuple[int, ...] = (8, 8, 2, 2)
    upsample_kernel_sizes: tuple[int, ...] = (16, 16, 4, 4)
    upsample_initial_channel: int = 512
    resblock_kernel_sizes: tuple[int, ...] = (3, 7, 11)
    resblock_dilations: tuple[tuple[int, ...], ...] = field(default=((1, 3, 5), (1, 3, 5), (1, 3, 5)))


class ResBlock(nn.Module):
    """Residual block of type 1: per dilation, a dilated conv then a plain conv, each after a leaky ReLU."""

    def __init__(self, channels: int, kernel_size: int, dilations: tuple[int, ...]) -> None:
        super().__init__()
        self.convs1 = nn.ModuleList(
            nn.Conv1d(channels, channels, kernel_size, dilation=d, padding=d * (kernel_size - 1) // 2)
            for d in dilations
        )
        self.convs2 = nn.ModuleList(
            nn.Conv1d(channels, channels, kernel_size, padding=(kernel_size - 1) // 2) for _ in dilations
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, T) → (B, C, T)."""
        for dilated, plain in zip(self.convs1, self.convs2, strict=True):
            residual = dilated(F.leaky_relu(x, LRELU_SLOPE))
            x = x + plain(F.leaky_relu(residual, LRELU_SLOPE))
        return x


class Generator(nn.Module):
    """Log-mel (B, n_mels, T) → waveform (B, 1, T · 256) in [-1, 1]."""

    def __init__(self, config: HiFiGANConfig = HiFiGANConfig()) -> None:
        super().__init__()
        self.config = config
        channels = config.upsample_initial_channel
        self.conv_pre = nn.Conv1d(config.n_mels, channels, 7, padding=3)
        self.ups = nn.ModuleList()
        self.resblocks = nn.ModuleList()
        for i, (rate, kernel) in enumerate(
            zip(config.upsample_rates, config.upsample_kernel_sizes, strict=True)
        ):
            c_in, c_out = channels // 2**i, channels // 2 ** (i + 1)
            self.ups.append(nn.ConvTranspose1d(c_in, c_out, kernel, rate, padding=(kernel - rate) // 2))
            for k, dilations in zip(config.resblock_kernel_sizes, config.resblock_dilations, strict=True):
                self.resblocks.append(ResBlock(c_out, k, dilations))
        self.conv_post = nn.Conv1d(channels // 2 ** len(config.upsample_rates), 1, 7, padding=3)

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        """(B, n_mels, T) → (B, 1, T · prod(upsample_rates))."""
        n_kernels = len(self.config.resblock_kernel_sizes)
        x = self.conv_pre(mel)
        for i, up in enumerate(self.ups):
            x = up(F.leaky_relu(x, LRELU_SLOPE))
            blocks = self.resblocks[i * n_kernels : (i + 1) * n_kernels]
            x = sum(block(x) for block in blocks) / n_kernels
        # The published generator's last activation uses PyTorch's default slope (0.01), not 0.1.
        return torch.tanh(self.conv_post(F.leaky_relu(x)))


def block_costs(generator: Generator) -> list[tuple[nn.Module, int]]:
    """Each upsampler and residual block with its multiply-adds per input mel frame.

    Each stage's share of the measured CPU time (fp32 and bf16) was within 5 points of its share of
    these costs (the second stage, 64 samples × 128 channels a frame, about 45 %), so the cost done
    is a fair measure of the time done.
    """
    config = generator.config
    n_kernels = len(config.resblock_kernel_sizes)
    costs: list[tuple[nn.Module, int]] = []
    samples = 1  # samples per mel frame at the current stage
    for i, up in enumerate(generator.ups):
        costs.append((up, samples * up.weight.numel()))  # a transposed conv's work scales with its input
        samples *= config.upsample_rates[i]
        for block in generator.resblocks[i * n_kernels : (i + 1) * n_kernels]:
            weights = sum(conv.weight.numel() for conv in (*block.convs1, *block.convs2))
            costs.append((block, samples * weights))
    return costs


@contextmanager
def reporting_progress(generator: Generator, progress: Callable[[float], None]) -> Iterator[None]:
    """Calls ``progress(fraction of one forward pass done)`` as each upsampler and residual block finishes.

    Forward hooks only watch, so the output is unchanged (chunking the input instead would change it);
    they are removed on leaving. The caller keeps other threads off the generator meanwhile.
    """
    costs = block_costs(generator)
    total = sum(cost for _, cost in costs)
    done = 0

    def finished(cost: int):
        def hook(module, inputs, output) -> None:
            nonlocal done
            done += cost
            progress(done / total)

        return hook

    handles = [module.register_forward_hook(finished(cost)) for module, cost in costs]
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


def fold_weight_norm(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Replace each ``weight_g`` / ``weight_v`` pair with ``weight = g · v / ‖v‖`` (norm over all dims but 0)."""
    folded: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        if key.endswith(".weight_v"):
            continue
        if key.endswith(".weight_g"):
            stem = key[: -len("_g")]
            v = state[stem + "_v"]
            norm = v.flatten(1).norm(dim=1).view(-1, *([1] * (v.dim() - 1)))
            folded[stem] = value * v / norm
        else:
            folded[key] = value
    return folded
