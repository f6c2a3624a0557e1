"""Training examples of the flow model: HiFi-GAN ln-mels of both sides and the sung phone per frame.

Both mels use features.HIFIGAN_MEL (22.05 kHz, 1024/256, 80 bands), so the model's output goes straight
into the bundled vocoder. Sung phone labels are taken at each frame's centre, (i + ½)·hop seconds.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass

import numpy as np

from models import features
from models.corpus.manifest import Pair, audio_path, read_manifest
from models.corpus.phones import PHONES

SPEC = features.HIFIGAN_MEL
SILENCE = PHONES.index("SIL")


@dataclass
class Example:
    singing: np.ndarray  # (n_mels, T_sing) float16 ln-mel
    speech: np.ndarray  # (n_mels, T_speech) float16 ln-mel
    phones: np.ndarray  # (T_sing,) int index into PHONES


def frame_phones(segments: list, n_frames: int) -> np.ndarray:
    """Index into PHONES of the phone at each frame centre (SIL where no segment covers it)."""
    labels = np.full(n_frames, SILENCE, dtype=np.int64)
    centres = (np.arange(n_frames) + 0.5) * SPEC.hop_length / SPEC.sample_rate
    for start, end, phone in segments or []:
        labels[(centres >= start) & (centres < end)] = PHONES.index(phone)
    return labels


def mel(path: str) -> np.ndarray:
    return features.log_mel(features.load_audio(path, sr=SPEC.sample_rate).samples, SPEC)


def prepare(root: str, pair: Pair) -> Example:
    singing = mel(audio_path(root, pair.singing_wav))
    speech = mel(audio_path(root, pair.speech_wav))
    return Example(
        singing.astype(np.float16),
        speech.astype(np.float16),
        frame_phones(pair.singing_phones, singing.shape[1]),
    )


def load_split(root: str, split: str, *, cache_dir: str | None = None) -> list[Example]:
    """Every pair of ``split``, cached as one .npz per (manifest, split) in ``cache_dir``; one process."""
    from models.corpus.manifest import manifest_hash

    cache = None
    if cache_dir:
        os.makedirs(cache_dir, exist_ok=True)
        cache = os.path.join(cache_dir, f"s2s-flow-{split}-{manifest_hash(root)[:16]}.npz")
        if os.path.exists(cache):
            return _read_cache(cache)
    examples = [prepare(root, pair) for pair in read_manifest(root, split=split)]
    if cache:
        _write_cache(cache, examples)
    return examples


def _write_cache(path: str, examples: list[Example]) -> None:
    tmp = f"{path}.tmp.npz"
    np.savez(
        tmp,
        singing_lengths=np.array([e.singing.shape[1] for e in examples]),
        speech_lengths=np.array([e.speech.shape[1] for e in examples]),
        singing=np.concatenate([e.singing for e in examples], axis=1),
        speech=np.concatenate([e.speech for e in examples], axis=1),
        phones=np.concatenate([e.phones for e in examples]),
    )
    os.replace(tmp, path)


def _read_cache(path: str) -> list[Example]:
    with np.load(path) as npz:  # read each array once: NpzFile re-reads an array on every access
        data = {key: npz[key] for key in npz.files}
    sing = np.concatenate([[0], np.cumsum(data["singing_lengths"])])
    speak = np.concatenate([[0], np.cumsum(data["speech_lengths"])])
    return [
        Example(data["singing"][:, a:b], data["speech"][:, c:d], data["phones"][a:b])
        for (a, b), (c, d) in zip(itertools.pairwise(sing), itertools.pairwise(speak), strict=True)
    ]
