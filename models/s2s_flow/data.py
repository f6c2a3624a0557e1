"""Training examples of the flow model: HiFi-GAN ln-mels of both sides and the sung phone per frame.

Both mels use features.HIFIGAN_MEL (22.05 kHz, 1024/256, 80 bands), so the model's output goes straight
into the bundled vocoder. Sung phone labels are taken at each frame's centre, (i + ½)·hop seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models import features
from models.corpus.manifest import Pair, audio_path, read_manifest
from models.corpus.phones import PHONES
from models.training.cache import cache_path, cached_examples

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
    return features.log_mel(features.load_audio(path, sr=SPEC.sample_rate), SPEC)


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

    path = cache_path(cache_dir, "s2s-flow", split, manifest_hash(root), "v2") if cache_dir else None
    stored = cached_examples(
        path, lambda: [vars(prepare(root, pair)) for pair in read_manifest(root, split=split)]
    )
    return [Example(**example) for example in stored]
