"""Speaker similarity: cosine of Resemblyzer (GE2E, Wan et al. 2018) utterance embeddings.

Resemblyzer's weights ship inside its wheel, so nothing is downloaded. Its preprocessing trims
non-speech with a VAD, so a pure tone leaves nothing to embed: such inputs score NaN.
"""

from __future__ import annotations

import functools
import threading
import warnings

import numpy as np

from models.features import Audio, to_rate

SAMPLE_RATE = 16000  # Resemblyzer's rate
_lock = threading.Lock()


@functools.lru_cache(maxsize=1)
def _encoder():
    with warnings.catch_warnings():  # webrtcvad imports pkg_resources; resemblyzer an old scipy name
        warnings.simplefilter("ignore")
        from resemblyzer import VoiceEncoder

    return VoiceEncoder("cpu", verbose=False)


def speaker_embedding(*, audio: Audio) -> np.ndarray | None:
    """The L2-normalised (256,) embedding of ``audio``, or None when no speech is left after trimming."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from resemblyzer import preprocess_wav

    import torch

    samples = to_rate(audio, SAMPLE_RATE).samples.astype(np.float32)
    with _lock:
        encoder = _encoder()
        wav = preprocess_wav(samples, source_sr=SAMPLE_RATE)  # volume-normalised, long silences trimmed
        if len(wav) < SAMPLE_RATE // 10:
            return None
        # This small LSTM runs 2–3× faster on one thread here (measured 0.2 s vs 0.5 s on a 3.5 s clip),
        # and up to 30× faster when other processes busy the cores.
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return np.asarray(encoder.embed_utterance(wav), dtype=np.float64)
        finally:
            torch.set_num_threads(threads)


def cosine(*, a: np.ndarray | None, b: np.ndarray | None) -> float:
    """a·b / (|a|·|b|); NaN when either embedding is missing."""
    if a is None or b is None:
        return float("nan")
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def speaker_similarity(*, a: Audio, b: Audio) -> float:
    """cos(e_a, e_b) of the two Resemblyzer utterance embeddings; NaN when either has no speech left."""
    return cosine(a=speaker_embedding(audio=a), b=speaker_embedding(audio=b))
