"""The one place for signal settings and signal processing.

Every STFT, mel spectrogram, F0 track, resampling, silence removal and time stretch in Songbridge is
computed here, from a frozen :class:`FeatureSpec`, so that a model's features, its vocoder's and the
metrics' can never silently drift apart.
"""

from __future__ import annotations

import dataclasses
import functools
import io
import os
from dataclasses import dataclass
from typing import Literal

import numpy as np

from models import audio_file
from models.audio_file import ACCEPTED
from models.errors import AudioInputError

# ---------------------------------------------------------------------------------------------------------
# Settings


@dataclass(frozen=True)
class FeatureSpec:
    """Signal settings, recorded inside every checkpoint and checked on load.

    ``n_mels=None`` means a linear-frequency magnitude spectrogram. ``log`` names the compression:
    ``"ln_clamp"`` is ln(max(x, clamp)) (HiFi-GAN), ``"log1p"`` is ln(1 + x) (ICASSP 2020).
    Frames follow HiFi-GAN: the signal is reflect-padded by (n_fft - hop) / 2 on each side and the STFT
    is taken with ``center=False``, so a signal of N samples gives N // hop frames.
    """

    name: str
    sample_rate: int
    n_fft: int
    win_length: int
    hop_length: int
    n_mels: int | None
    fmin: float
    fmax: float | None
    log: Literal["ln_clamp", "log1p"]
    clamp: float = 1e-5

    @property
    def pad(self) -> int:
        return (self.n_fft - self.hop_length) // 2

    @property
    def n_bins(self) -> int:
        """Rows of the spectrogram: mel bins, or n_fft // 2 + 1 linear bins."""
        return self.n_mels if self.n_mels is not None else self.n_fft // 2 + 1

    @property
    def frame_seconds(self) -> float:
        return self.hop_length / self.sample_rate

    def n_frames(self, n_samples: int) -> int:
        return 1 + (n_samples + 2 * self.pad - self.n_fft) // self.hop_length

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> FeatureSpec:
        return cls(**data)


#: The HiFi-GAN universal recipe; every mel model's features go straight into that vocoder.
HIFIGAN_MEL = FeatureSpec(
    name="hifigan-mel",
    sample_rate=22050,
    n_fft=1024,
    win_length=1024,
    hop_length=256,
    n_mels=80,
    fmin=0.0,
    fmax=8000.0,
    log="ln_clamp",
)

#: The ICASSP 2020 (Parekh, Rao, Yang) representation: log(1 + |STFT|) at 16 kHz.
ICASSP2020_LINEAR = FeatureSpec(
    name="icassp2020-linear",
    sample_rate=16000,
    n_fft=1024,
    win_length=1024,
    hop_length=256,
    n_mels=None,
    fmin=0.0,
    fmax=None,
    log="log1p",
)

#: The STFT of the ICASSP 2020 evaluation code, used by both LSD metrics (16 kHz, 1024 / 128).
LSD_STFT = FeatureSpec(
    name="lsd-stft",
    sample_rate=16000,
    n_fft=1024,
    win_length=1024,
    hop_length=128,
    n_mels=None,
    fmin=0.0,
    fmax=None,
    log="log1p",
)

#: The phoneme recognizer's input (models/ppg): log mel at 16 kHz (the corpus's rate) with the usual framing
#: of speech recognizers, 25 ms windows every 10 ms (short consonants last 30-80 ms).
PPG_MEL = FeatureSpec(
    name="ppg-mel",
    sample_rate=16000,
    n_fft=512,
    win_length=400,
    hop_length=160,
    n_mels=80,
    fmin=0.0,
    fmax=8000.0,
    log="ln_clamp",
)

#: F0 search range covering speech and singing (bass to soprano).
F0_FLOOR_HZ = 60.0
F0_CEIL_HZ = 1100.0

# ---------------------------------------------------------------------------------------------------------
# Audio and loading


@dataclass(frozen=True)
class Audio:
    """A mono float32 signal and its sample rate."""

    samples: np.ndarray
    sr: int

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sr


@dataclass(frozen=True)
class AudioLimits:
    """What :func:`load_audio` accepts."""

    min_seconds: float = 0.3
    max_seconds: float = 60.0
    #: peak amplitude under which a recording counts as silence (about -80 dBFS)
    silence_peak: float = 1e-4
    #: channels × sample rate a file may have at ``max_seconds``: 8 channels at 48 kHz, or stereo at 192 kHz
    max_decode_rate: int = 384_000

    @property
    def max_decoded_samples(self) -> int:
        """Samples (all channels) a file may decode to, checked on its header before decoding."""
        return int(self.max_seconds * self.max_decode_rate)


DEFAULT_LIMITS = AudioLimits()


def load_audio(
    source: str | os.PathLike | bytes | tuple[int, np.ndarray] | Audio,
    *,
    sr: int = HIFIGAN_MEL.sample_rate,
    limits: AudioLimits = DEFAULT_LIMITS,
) -> Audio:
    """Read, validate, mix to mono and resample audio.

    ``source`` is a file path, the file's bytes, a ``(sample_rate, array)`` pair as Gradio's numpy
    audio gives it (integer arrays are scaled to [-1, 1]; channels last), or an :class:`Audio`.
    Returns float32 mono :class:`Audio` at ``sr``. Raises :class:`AudioInputError` with a sentence
    saying what was wrong and what is accepted. Files and bytes are read by :mod:`models.audio_file`:
    WAV, FLAC, OGG or MP3 by their content, refused from the header when channels × rate × length passes
    ``limits.max_decoded_samples``, decoded in blocks, refused when damaged.
    """
    samples, source_sr = _read(source, limits)
    samples = _validate(samples, source_sr, limits)
    return Audio(resample(samples, source_sr, sr), sr)


def _read(source, limits: AudioLimits) -> tuple[np.ndarray, int]:
    if isinstance(source, Audio):
        return np.asarray(source.samples), source.sr
    if isinstance(source, tuple):
        source_sr, array = source
        array = np.asarray(array)
        if np.issubdtype(array.dtype, np.integer):
            array = array.astype(np.float32) / float(np.iinfo(array.dtype).max)
        return array, int(source_sr)
    if isinstance(source, bytes):
        header = audio_file.read_header(io.BytesIO(source), "the uploaded data", limits)
        return _decode(io.BytesIO(source), "the uploaded data", header, limits)
    path = os.fspath(source)
    if not os.path.isfile(path):
        raise AudioInputError(f"No audio file at '{path}'. Upload a {ACCEPTED} file.")
    label = f"'{os.path.basename(path)}'"
    if os.path.getsize(path) == 0:
        raise AudioInputError(f"{label} is empty (0 bytes). Upload a {ACCEPTED} file.")
    # The header is judged (format, length, channels × rate) before a sample is decoded.
    header = audio_file.read_header(path, label, limits)
    return _decode(path, label, header, limits)


def _decode(file, label: str, header: audio_file.Header, limits: AudioLimits) -> tuple[np.ndarray, int]:
    """Mono float32 samples and their rate, decoded in blocks within ``limits``' budget."""
    return audio_file.decode(file, label, header, limits)


def _validate(samples: np.ndarray, source_sr: int, limits: AudioLimits) -> np.ndarray:
    samples = np.asarray(samples)
    if samples.size == 0:
        raise AudioInputError(
            f"The file holds no samples. Upload a recording of at least {limits.min_seconds} s."
        )
    if samples.ndim == 2:
        # Gradio and soundfile give (N, C); an array given as (C, N) has the channels on the short axis.
        if samples.shape[0] < samples.shape[1] and samples.shape[0] <= 16:
            samples = samples.T
        samples = samples.astype(np.float32).mean(axis=1)
    if samples.ndim != 1:
        raise AudioInputError(
            f"Audio must be mono or multi-channel samples, got an array of shape {samples.shape}."
        )
    if source_sr <= 0:
        raise AudioInputError(f"The sample rate {source_sr} Hz is not valid. Upload a {ACCEPTED} file.")
    samples = samples.astype(np.float32, copy=False)
    if not np.all(np.isfinite(samples)):
        raise AudioInputError(
            "The audio contains NaN or infinite samples, so it is corrupt. Export it again as 16- or 24-bit WAV."
        )
    duration = samples.size / source_sr
    if duration < limits.min_seconds:
        raise AudioInputError(
            f"The recording is {duration:.2f} s long; at least {limits.min_seconds} s is needed. Record a longer take."
        )
    if duration > limits.max_seconds:
        raise audio_file.too_long(duration, limits.max_seconds)
    if float(np.max(np.abs(samples - np.mean(samples)))) < limits.silence_peak:
        raise AudioInputError("The recording is silent. Check the microphone level and record again.")
    return samples


def resample(samples: np.ndarray, sr_from: int, sr_to: int) -> np.ndarray:
    """Resample with soxr (librosa's default high-quality method); float32 out."""
    samples = np.asarray(samples, dtype=np.float32)
    if sr_from == sr_to:
        return samples
    import librosa

    return librosa.resample(samples, orig_sr=sr_from, target_sr=sr_to).astype(np.float32)


def to_rate(audio: Audio, sr: int) -> Audio:
    return audio if audio.sr == sr else Audio(resample(audio.samples, audio.sr, sr), sr)


# ---------------------------------------------------------------------------------------------------------
# Spectrograms


@functools.lru_cache(maxsize=16)
def mel_filters(sample_rate: int, n_fft: int, n_mels: int, fmin: float, fmax: float | None) -> np.ndarray:
    """Slaney-normalised mel filterbank (n_mels, n_fft // 2 + 1), as HiFi-GAN builds it; cached, read-only."""
    import librosa

    filters = librosa.filters.mel(sr=sample_rate, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax)
    filters.setflags(write=False)
    return filters


@functools.lru_cache(maxsize=16)
def mel_pseudo_inverse(
    sample_rate: int, n_fft: int, n_mels: int, fmin: float, fmax: float | None
) -> np.ndarray:
    """Moore–Penrose inverse of :func:`mel_filters` (n_fft // 2 + 1, n_mels); cached, read-only."""
    inverse = np.linalg.pinv(mel_filters(sample_rate, n_fft, n_mels, fmin, fmax)).astype(np.float32)
    inverse.setflags(write=False)
    return inverse


def stft(samples: np.ndarray, spec: FeatureSpec) -> np.ndarray:
    """Complex STFT (n_fft // 2 + 1, frames) with HiFi-GAN's framing (reflect pad, ``center=False``)."""
    import librosa

    samples = np.asarray(samples, dtype=np.float32)
    mode = "reflect" if len(samples) > spec.pad else "constant"
    padded = np.pad(samples, (spec.pad, spec.pad), mode=mode)
    if len(padded) < spec.n_fft:
        padded = np.pad(padded, (0, spec.n_fft - len(padded)))
    return librosa.stft(
        padded,
        n_fft=spec.n_fft,
        hop_length=spec.hop_length,
        win_length=spec.win_length,
        window="hann",
        center=False,
    )


def magnitude(samples: np.ndarray, spec: FeatureSpec) -> np.ndarray:
    """|STFT| (n_fft // 2 + 1, frames), float32; the 1e-9 under the root is HiFi-GAN's."""
    spectrum = stft(samples, spec)
    return np.sqrt(spectrum.real**2 + spectrum.imag**2 + 1e-9).astype(np.float32)


def compress(linear: np.ndarray, spec: FeatureSpec) -> np.ndarray:
    if spec.log == "ln_clamp":
        return np.log(np.maximum(linear, spec.clamp)).astype(np.float32)
    return np.log1p(linear).astype(np.float32)


def decompress(logspec: np.ndarray, spec: FeatureSpec) -> np.ndarray:
    if spec.log == "ln_clamp":
        return np.exp(logspec).astype(np.float32)
    return np.expm1(np.maximum(logspec, 0.0)).astype(np.float32)


def spectrogram(audio: Audio, spec: FeatureSpec) -> np.ndarray:
    """The model-facing spectrogram of ``spec``: log mel (n_mels, T) or log linear (n_fft // 2 + 1, T), of
    ``audio`` resampled to the spec's rate. It takes the rate with the samples: bare arrays at 16 kHz were
    once drawn as if they were 22.05 kHz (a 9.6 s output plotted as 7 s)."""
    linear = magnitude(to_rate(audio, spec.sample_rate).samples, spec)
    if spec.n_mels is not None:
        linear = mel_filters(spec.sample_rate, spec.n_fft, spec.n_mels, spec.fmin, spec.fmax) @ linear
    return compress(linear, spec)


def mel_bin_frequencies(spec: FeatureSpec = HIFIGAN_MEL) -> np.ndarray:
    """Centre frequency in Hz of each mel bin of ``spec`` (for plotting F0 over a mel spectrogram)."""
    import librosa

    if spec.n_mels is None:
        return np.linspace(0, spec.sample_rate / 2, spec.n_bins)
    return librosa.mel_frequencies(n_mels=spec.n_mels + 2, fmin=spec.fmin, fmax=spec.fmax)[1:-1]


def log_mel(audio: Audio, spec: FeatureSpec = HIFIGAN_MEL) -> np.ndarray:
    """ln(max(mel, 1e-5)) of the magnitude — exactly HiFi-GAN's ``mel_spectrogram`` — shape (n_mels, T), of
    ``audio`` at the spec's rate (resampled if it is not)."""
    if spec.n_mels is None:
        raise ValueError(f"{spec.name} is a linear spec; log_mel needs a mel spec")
    return spectrogram(audio, spec)


# ---------------------------------------------------------------------------------------------------------
# F0

F0Method = Literal["fast", "accurate"]


@dataclass(frozen=True)
class F0Track:
    """F0 in Hz per frame (0 where unvoiced) at ``times`` seconds."""

    times: np.ndarray
    hz: np.ndarray

    @property
    def voiced(self) -> np.ndarray:
        return self.hz > 0

    @property
    def hop_s(self) -> float:
        """Seconds between frames (the HiFi-GAN mel hop for a track of fewer than two frames)."""
        return float(self.times[1] - self.times[0]) if len(self.times) > 1 else HIFIGAN_MEL.frame_seconds


#: pYIN runs at this rate wherever a contour must be accurate (every pitch score; reading a reference
#: recording), so two tracks compared frame by frame share a hop in seconds whatever their files' rates
ACCURATE_F0_RATE = 16000


def accurate_f0(audio: Audio) -> F0Track:
    """The ``"accurate"`` track (pYIN) of ``audio`` at :data:`ACCURATE_F0_RATE`."""
    return f0(to_rate(audio, ACCURATE_F0_RATE), method="accurate")


def f0(
    audio: Audio,
    *,
    method: F0Method = "fast",
    hop_s: float = HIFIGAN_MEL.frame_seconds,
    fmin: float = F0_FLOOR_HZ,
    fmax: float = F0_CEIL_HZ,
) -> F0Track:
    """Track F0 with one of two named methods, chosen by measurement (``python -m evaluation.f0_trackers``).

    ``"fast"`` — WORLD DIO refined by StoneMask, for conversion: every test signal within 50 cents,
    median error 1.7 cents, about 0.2 s per 10 s of audio here.
    ``"accurate"`` — probabilistic YIN (librosa), for metrics: the same accuracy on clean signals, with
    an HMM voicing decision that holds on real voices, at about 6 s per 10 s. (WORLD Harvest is more
    precise on harmonic tones but calls pure sines unvoiced, so it cannot score a sine-like output.)
    Frames are at ``times = i * hop``, hop = ``hop_s`` rounded to whole samples.
    """
    x = audio.samples
    hop = max(1, round(hop_s * audio.sr))
    if method == "fast":
        import pyworld

        x64 = x.astype(np.float64)
        period_ms = 1000.0 * hop / audio.sr
        hz, times = pyworld.dio(x64, audio.sr, f0_floor=fmin, f0_ceil=fmax, frame_period=period_ms)
        hz = pyworld.stonemask(x64, hz, times, audio.sr)
    elif method == "accurate":
        import librosa

        # Two periods of the lowest F0 must fit in a frame.
        frame = 1 << int(np.ceil(np.log2(2.2 * audio.sr / fmin)))
        hz, voiced, _ = librosa.pyin(x, fmin=fmin, fmax=fmax, sr=audio.sr, frame_length=frame, hop_length=hop)
        hz = np.where(voiced, np.nan_to_num(hz), 0.0)
        times = np.arange(len(hz)) * hop / audio.sr
    else:
        raise ValueError(f"unknown F0 method {method!r}; use 'fast' or 'accurate'")
    return F0Track(times=np.asarray(times, dtype=np.float64), hz=np.asarray(hz, dtype=np.float64))


def hz_to_cents(hz: np.ndarray, reference_hz: float = 10.0) -> np.ndarray:
    return 1200.0 * np.log2(np.asarray(hz, dtype=np.float64) / reference_hz)


# ---------------------------------------------------------------------------------------------------------
# Silence and time


def remove_silence(
    audio: Audio, *, top_db: float = 40.0, min_frames: int = 3, hop: int | None = None
) -> Audio:
    """Drop runs of at least ``min_frames`` frames whose energy is ``top_db`` under the loudest frame.

    Frames are 4 hops long (64 ms at 16 kHz with the default hop of 256 samples per 16 kHz, scaled to
    the signal's rate). Short gaps inside words (under ``min_frames``) are kept. Joins get a 5 ms
    crossfade so the cut does not click.
    """
    hop = hop or max(1, round(audio.sr * 256 / 16000))
    frame = 4 * hop
    x = audio.samples
    n_frames = max(1, int(np.ceil(len(x) / hop)))
    padded = np.pad(x, (frame // 2, frame // 2 + n_frames * hop - len(x)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, frame)[::hop][:n_frames]
    energy_db = 10 * np.log10(np.mean(windows.astype(np.float64) ** 2, axis=1) + 1e-12)
    silent = energy_db < energy_db.max() - top_db

    keep = np.ones(len(x), dtype=bool)
    start = None
    for i, is_silent in enumerate([*silent, False]):
        if is_silent and start is None:
            start = i
        elif not is_silent and start is not None:
            if i - start >= min_frames:
                keep[start * hop : min(len(x), i * hop)] = False
            start = None
    return Audio(_join_kept(x, keep, fade=int(0.005 * audio.sr)), audio.sr)


def _join_kept(x: np.ndarray, keep: np.ndarray, fade: int) -> np.ndarray:
    edges = np.flatnonzero(np.diff(np.concatenate([[0], keep.astype(np.int8), [0]])))
    pieces = [x[a:b].astype(np.float32) for a, b in zip(edges[::2], edges[1::2], strict=True)]
    if not pieces:
        return x[:0].astype(np.float32)
    out = pieces[0]
    for piece in pieces[1:]:
        n = min(fade, len(out), len(piece))
        if n:
            ramp = np.linspace(0.0, 1.0, n, dtype=np.float32)
            overlap = out[-n:] * (1 - ramp) + piece[:n] * ramp
            out = np.concatenate([out[:-n], overlap, piece[n:]])
        else:
            out = np.concatenate([out, piece])
    return out


def stretch_to_length(audio: Audio, n_samples: int) -> Audio:
    """Uniform phase-vocoder time stretch to exactly ``n_samples`` samples (pitch unchanged)."""
    import librosa

    if n_samples <= 0:
        raise ValueError("target length must be positive")
    rate = len(audio.samples) / n_samples
    stretched = librosa.effects.time_stretch(audio.samples.astype(np.float32), rate=rate)
    return Audio(librosa.util.fix_length(stretched, size=n_samples).astype(np.float32), audio.sr)
