"""Inputs of the ICASSP 2020 model, as the paper makes them, and a cached training set.

Per pair: the speech with silences removed, stretched uniformly (phase vocoder) to the singing's
length; X = log(1 + |STFT|) of it and Y of the singing (16 kHz, 1024-point, 16 ms hop as the paper's
text says; its released code used 8 ms); the singing's F0 per frame (the paper drew the melody image
from the target singing's extracted melody) and the sung phone label per frame.

Melody images (F, T): ``binary`` is the paper's — a 1 at bin ⌊f0 · n_fft / sr⌋, unvoiced frames on the
last row. At 15.6 Hz per bin that row cannot tell two low notes apart (a semitone at 130 Hz is 7.7 Hz),
so ``harmonics`` was a first fix: the same image with rows marked at every harmonic k·f0 below 4 kHz, whose
spacing pins F0 to a fraction of a bin (it did not learn the melody in 700 steps). ``log`` is the fix
the bundled checkpoints use since 5 Dec 2026: the same (F, T) shape with log-F0 rows — a Gaussian bump
(σ 18 cents) at log2 F0 on a 12-cent grid from 50 Hz to 1.73 kHz, unvoiced frames on the last row, as in
the binary image — so the contour is given as log-F0 plus voicing, as the papers condition. Read back frame
by frame at its bin centre, the binary image is within 50 cents of the PJS singer's own F0 on only 74 % of
his voiced frames (PJS test), about where the binary-image models' RCA sat.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
from dataclasses import dataclass

import numpy as np

from models import features
from models.corpus.manifest import Pair, audio_path, read_manifest
from models.corpus.phones import PHONES
from models.features import ICASSP2020_LINEAR, Audio

SPEC = ICASSP2020_LINEAR
MELODY_IMAGES = ("binary", "harmonics", "log")
HARMONICS_UP_TO_HZ = 4000.0
LOG_IMAGE_FMIN_HZ = 50.0
LOG_IMAGE_CENTS_PER_ROW = 12.0
LOG_IMAGE_SIGMA_ROWS = 1.5


def speech_input(speech: Audio, n_samples: int) -> np.ndarray:
    """The paper's speech input: silence removed, stretched to ``n_samples``, log(1 + |STFT|) (F, T)."""
    voiced = features.remove_silence(speech)
    stretched = features.stretch_to_length(voiced, n_samples)
    return features.spectrogram(stretched, SPEC)


def frame_f0(audio: Audio, n_frames: int) -> np.ndarray:
    """F0 (Hz, 0 unvoiced) at the spectrogram's frame times (fast method)."""
    track = features.f0(audio, method="fast", hop_s=SPEC.hop_length / SPEC.sample_rate)
    return _fit(track.hz, n_frames)


def _fit(values: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(n, dtype=np.float32)
    out[: min(n, len(values))] = values[:n]
    return out


def melody_image(f0_hz: np.ndarray, kind: str = "binary") -> np.ndarray:
    """(F, T) image of an F0 contour, one of MELODY_IMAGES (the module docstring says how each is drawn)."""
    if kind not in MELODY_IMAGES:
        raise ValueError(f"melody image kind must be one of {MELODY_IMAGES}, not {kind!r}")
    n_bins = SPEC.n_fft // 2 + 1
    image = np.zeros((n_bins, len(f0_hz)), dtype=np.float32)
    voiced = f0_hz > 0
    frames = np.flatnonzero(voiced)
    image[n_bins - 1, ~voiced] = 1.0
    if kind == "log":
        image[: n_bins - 1, frames] = log_f0_rows(f0_hz[frames], n_bins - 1)
        return image
    harmonics = (
        1
        if kind == "binary"
        else int(HARMONICS_UP_TO_HZ // max(float(np.min(f0_hz[voiced], initial=1e9)), 50))
    )
    for k in range(1, max(harmonics, 1) + 1):
        hz = k * f0_hz[frames]
        keep = hz < (HARMONICS_UP_TO_HZ if k > 1 else SPEC.sample_rate / 2)
        rows = np.minimum((hz[keep] * SPEC.n_fft / SPEC.sample_rate).astype(int), n_bins - 2)
        image[rows, frames[keep]] = 1.0
    return image


def log_f0_rows(f0_hz: np.ndarray, n_rows: int) -> np.ndarray:
    """(n_rows, len(f0_hz)) Gaussian bumps at each F0's row on the log grid (clipped to the grid's ends)."""
    position = 1200 * np.log2(np.maximum(f0_hz, 1e-3) / LOG_IMAGE_FMIN_HZ) / LOG_IMAGE_CENTS_PER_ROW
    position = np.clip(position, 0, n_rows - 1)
    distance = np.arange(n_rows, dtype=np.float32)[:, None] - position[None, :]
    bumps = np.exp(-0.5 * (distance / LOG_IMAGE_SIGMA_ROWS) ** 2)
    return np.where(np.abs(distance) <= 4 * LOG_IMAGE_SIGMA_ROWS, bumps, 0.0).astype(np.float32)


def f0_from_log_rows(rows: np.ndarray) -> np.ndarray:
    """The inverse of :func:`log_f0_rows`: each frame's F0 (Hz) at its bump's centre of mass (voiced frames
    only: a frame without a bump has no centre)."""
    centre = (rows * np.arange(rows.shape[0])[:, None]).sum(0) / rows.sum(0)
    return LOG_IMAGE_FMIN_HZ * 2 ** (centre * LOG_IMAGE_CENTS_PER_ROW / 1200)


def phone_labels(pair: Pair, n_frames: int) -> np.ndarray:
    """Per-frame class of the sung phone at each frame centre: 0 none, 1 + index in PHONES."""
    labels = np.zeros(n_frames, dtype=np.int64)
    centres = (np.arange(n_frames) + 0.5) * SPEC.hop_length / SPEC.sample_rate
    for start, end, phone in pair.singing_phones or []:
        labels[(centres >= start) & (centres < end)] = 1 + PHONES.index(phone)
    return labels


@dataclass
class Example:
    speech: np.ndarray  # (F, T) float16
    singing: np.ndarray  # (F, T) float16
    f0: np.ndarray  # (T,) Hz
    phones: np.ndarray  # (T,) int


INPUTS = ("stretched", "phsync", "singing")


def phone_synced_input(speech: Audio, pair: Pair, n_frames: int) -> np.ndarray:
    """PhSync: each speech phone's frames mapped onto its sung span (oracle durations from the labels)."""
    x = features.spectrogram(speech, SPEC)
    spoken = [(a, b) for a, b, p in pair.speech_phones if p != "SIL"]
    sung = [(a, b) for a, b, p in pair.singing_phones if p != "SIL"]
    frame_s = SPEC.hop_length / SPEC.sample_rate
    anchors_sung = np.array([t for a, b in sung for t in (a, b)]) / frame_s
    anchors_spoken = np.array([t for a, b in spoken for t in (a, b)]) / frame_s
    source = np.interp(np.arange(n_frames), anchors_sung, anchors_spoken)
    return x[:, np.clip(np.round(source).astype(int), 0, x.shape[1] - 1)]


def prepare(args: tuple[str, Pair, str]) -> Example:
    root, pair, kind = args
    singing = features.load_audio(audio_path(root, pair.singing_wav), sr=SPEC.sample_rate)
    speech = features.load_audio(audio_path(root, pair.speech_wav), sr=SPEC.sample_rate)
    n = len(singing.samples) - len(singing.samples) % SPEC.hop_length
    singing = Audio(singing.samples[:n], singing.sr)
    y = features.spectrogram(singing, SPEC)
    if kind == "singing":  # the singing autoencoder, the paper's upper bound
        x = y
    elif kind == "phsync":
        x = phone_synced_input(speech, pair, y.shape[1])
    else:
        x = speech_input(speech, n)
    frames = min(x.shape[1], y.shape[1])
    return Example(
        speech=x[:, :frames].astype(np.float16),
        singing=y[:, :frames].astype(np.float16),
        f0=frame_f0(singing, frames),
        phones=phone_labels(pair, frames),
    )


def load_split(
    root: str,
    split: str,
    *,
    inputs: str = "stretched",
    cache_dir: str | None = None,
    workers: int | None = None,
) -> list[Example]:
    """Every pair of a split as :class:`Example`, cached in ``cache_dir`` as one .npz keyed by the manifest."""
    from models.corpus.manifest import manifest_hash

    pairs = read_manifest(root, split=split)
    cache = None
    if cache_dir:
        os.makedirs(cache_dir, exist_ok=True)
        cache = os.path.join(cache_dir, f"parekh-{split}-{inputs}-{manifest_hash(root)[:16]}.npz")
        if os.path.exists(cache):
            return _read_cache(cache)
    with multiprocessing.get_context("spawn").Pool(workers or os.cpu_count() or 1) as pool:
        examples = pool.map(prepare, [(root, pair, inputs) for pair in pairs], chunksize=4)
    if cache:
        _write_cache(cache, examples)
    return examples


def _write_cache(path: str, examples: list[Example]) -> None:
    lengths = np.array([e.f0.shape[0] for e in examples])
    tmp = f"{path}.tmp.npz"
    np.savez(
        tmp,
        lengths=lengths,
        speech=np.concatenate([e.speech for e in examples], axis=1),
        singing=np.concatenate([e.singing for e in examples], axis=1),
        f0=np.concatenate([e.f0 for e in examples]),
        phones=np.concatenate([e.phones for e in examples]),
    )
    os.replace(tmp, path)


def _read_cache(path: str) -> list[Example]:
    data = np.load(path)
    bounds = np.concatenate([[0], np.cumsum(data["lengths"])])
    speech, singing, f0, phones = data["speech"], data["singing"], data["f0"], data["phones"]
    return [
        Example(speech[:, a:b], singing[:, a:b], f0[a:b], phones[a:b]) for a, b in itertools.pairwise(bounds)
    ]
