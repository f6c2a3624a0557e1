"""The recognizer's training and test material: log mel frames and their phone labels, both sides of each pair.

Every pair of a corpus gives two utterances, the speech and the singing, each with the phone spans of its
own manifest field. A frame's label is the phone whose span holds the frame's centre, ``(t + 0.5) · hop``
seconds with the framing of :data:`models.features.PPG_MEL`; frames outside every span are SIL.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass

import numpy as np

from models import features
from models.corpus.manifest import Pair, audio_path, read_manifest
from models.corpus.phones import PHONES, SILENCE
from models.features import PPG_MEL

SPEC = PPG_MEL
SIL_INDEX = PHONES.index(SILENCE)
SIDES = ("speech", "singing")


@dataclass
class Utterance:
    mel: np.ndarray  # (n_mels, T) float16 log mel
    labels: np.ndarray  # (T,) int64 index into PHONES
    side: str  # "speech" or "singing"
    pair_id: str


def frame_labels(spans, n_frames: int) -> np.ndarray:
    """(T,) index into PHONES of the span holding each frame's centre; SIL outside every span."""
    labels = np.full(n_frames, SIL_INDEX, dtype=np.int64)
    centres = (np.arange(n_frames) + 0.5) * SPEC.frame_seconds
    for start, end, phone in spans:
        labels[(centres >= start) & (centres < end)] = PHONES.index(phone)
    return labels


def mel_of(audio: features.Audio) -> np.ndarray:
    """(n_mels, T) log mel of ``audio`` at the recognizer's 16 kHz."""
    return features.log_mel(audio, SPEC)


def utterances_of(root: str, pair: Pair, sides: tuple[str, ...] = SIDES) -> list[Utterance]:
    """The pair's sides that have audio and phone labels, as :class:`Utterance`."""
    found = []
    for side in sides:
        wav, spans = getattr(pair, f"{side}_wav"), getattr(pair, f"{side}_phones")
        if wav is None or spans is None:
            continue
        mel = mel_of(features.load_audio(audio_path(root, wav), sr=SPEC.sample_rate))
        found.append(Utterance(mel.astype(np.float16), frame_labels(spans, mel.shape[1]), side, pair.id))
    return found


def load_split(root: str, split: str, *, cache_dir: str | None = None) -> list[Utterance]:
    """Both sides of every pair of ``split``; cached in ``cache_dir`` as one .npz keyed by the manifest."""
    from models.corpus.manifest import manifest_hash

    cache = None
    if cache_dir:
        os.makedirs(cache_dir, exist_ok=True)
        cache = os.path.join(cache_dir, f"ppg-{split}-{manifest_hash(root)[:16]}.npz")
        if os.path.exists(cache):
            return _read_cache(cache)
    found = [u for pair in read_manifest(root, split=split) for u in utterances_of(root, pair)]
    if cache:
        _write_cache(cache, found)
    return found


def _write_cache(path: str, utterances: list[Utterance]) -> None:
    tmp = f"{path}.tmp.npz"
    np.savez(
        tmp,
        lengths=np.array([u.labels.shape[0] for u in utterances]),
        mel=np.concatenate([u.mel for u in utterances], axis=1),
        labels=np.concatenate([u.labels for u in utterances]),
        sides=np.array([u.side for u in utterances]),
        pair_ids=np.array([u.pair_id for u in utterances]),
    )
    os.replace(tmp, path)


def _read_cache(path: str) -> list[Utterance]:
    data = np.load(path)
    bounds = np.concatenate([[0], np.cumsum(data["lengths"])])
    return [
        Utterance(data["mel"][:, a:b], data["labels"][a:b], str(side), str(pair_id))
        for (a, b), side, pair_id in zip(
            itertools.pairwise(bounds), data["sides"], data["pair_ids"], strict=True
        )
    ]
