"""Style pairs for the VAE: the corpus's (clean → growl) and a user's own, as aligned log-mel pairs.

Layout (``--pairs DIR``; the corpus writes ``OUT/style`` the same way): ``DIR/<name>/clean.wav`` and
``DIR/<name>/target.wav``, any rate, any length up to about 90 s a side; the two need not be the same
length or in time: the target is aligned to the clean recording by DTW (models/vae_style/align.py).
Features are HiFi-GAN log-mels (models/features.py), cached per pair in ``cache_dir``.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

import numpy as np

from models import features
from models.errors import SongbridgeError
from models.features import HIFIGAN_MEL, AudioLimits
from models.vae_style.align import AlignmentQuality, align, warp_to_clean

SPEC = HIFIGAN_MEL
PAIR_LIMITS = AudioLimits(min_seconds=0.3, max_seconds=95.0)


class PairsError(SongbridgeError):
    """A pairs folder that cannot be used; the message says what to fix."""


@dataclass
class StylePair:
    name: str
    clean: np.ndarray  # (80, N) log-mel
    target: np.ndarray  # (80, N) log-mel, aligned to clean's frames
    quality: AlignmentQuality


def pair_names(root: str) -> list[str]:
    """Sub-folders of ``root`` holding both clean.wav and target.wav, sorted."""
    if not os.path.isdir(root):
        raise PairsError(f"No pairs folder at {root}.")
    names = sorted(
        name
        for name in os.listdir(root)
        if all(os.path.isfile(os.path.join(root, name, f"{side}.wav")) for side in ("clean", "target"))
    )
    if not names:
        raise PairsError(
            f"{root} holds no pairs: put each one in its own folder as <name>/clean.wav and <name>/target.wav."
        )
    return names


def _cache_key(paths: list[str]) -> str:
    h = hashlib.sha256(b"vae-style-pair-v1")
    for path in paths:
        st = os.stat(path)
        h.update(f"{os.path.abspath(path)}|{st.st_size}|{st.st_mtime_ns}".encode())
    return h.hexdigest()[:24]


def load_pair(folder: str, *, name: str | None = None, cache_dir: str | None = None) -> StylePair:
    """One pair folder → its aligned log-mels and alignment quality."""
    paths = [os.path.join(folder, "clean.wav"), os.path.join(folder, "target.wav")]
    name = name or os.path.basename(os.path.normpath(folder))
    cached = os.path.join(cache_dir, f"{_cache_key(paths)}.npz") if cache_dir else None
    if cached and os.path.isfile(cached):
        z = np.load(cached)
        return StylePair(name, z["clean"], z["target"], AlignmentQuality(*z["quality"].tolist()))
    try:
        clean, target = (features.load_audio(p, sr=SPEC.sample_rate, limits=PAIR_LIMITS) for p in paths)
    except SongbridgeError as error:
        raise PairsError(f"pair {name}: {error}") from None
    clean_mel, target_mel = features.log_mel(clean), features.log_mel(target)
    try:
        path, quality = align(clean_mel, target_mel)
    except ValueError as error:
        raise PairsError(f"pair {name}: {error}") from None
    aligned = warp_to_clean(target_mel, path, clean_mel.shape[1])
    pair = StylePair(name, clean_mel.astype(np.float32), aligned, quality)
    if cached:
        os.makedirs(cache_dir, exist_ok=True)
        tmp = f"{cached}.tmp.npz"
        np.savez(
            tmp,
            clean=pair.clean,
            target=pair.target,
            quality=np.array(
                [quality.cost_ratio, quality.max_hold_s, quality.length_ratio, quality.diagonal_fraction]
            ),
        )
        os.replace(tmp, cached)
    return pair


def load_pairs(root: str, *, names: list[str] | None = None, cache_dir: str | None = None) -> list[StylePair]:
    """Every pair under ``root`` (or only ``names``), aligned."""
    return [
        load_pair(os.path.join(root, name), name=name, cache_dir=cache_dir)
        for name in names or pair_names(root)
    ]


def corpus_pair_names(corpus: str, split: str) -> list[str]:
    """The corpus's style pairs (``corpus/style/<id>``) whose manifest line is in ``split``."""
    from models.corpus.manifest import read_manifest

    style = os.path.join(corpus, "style")
    have = set(pair_names(style))
    names = [p.id for p in read_manifest(corpus, split=split) if p.id in have]
    if not names:
        raise PairsError(f"{corpus} has no style pairs in its {split} split (build it with models.corpus).")
    return names


def alignment_table(pairs: list[StylePair]) -> str:
    """A plain-text report of every pair's alignment quality, poor ones marked."""
    lines = [f"{'pair':<24} {'cost ratio':>10} {'max hold s':>10} {'len ratio':>9} {'diagonal':>8}"]
    for p in pairs:
        q = p.quality
        lines.append(
            f"{p.name:<24} {q.cost_ratio:>10.3f} {q.max_hold_s:>10.2f} {q.length_ratio:>9.2f} "
            f"{q.diagonal_fraction:>8.2f}" + ("  POOR: check this pair" if q.poor else "")
        )
    return "\n".join(lines)
