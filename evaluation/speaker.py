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

    samples = to_rate(audio, SAMPLE_RATE).samples.astype(np.float32)
    with _lock:
        encoder = _encoder()
        wav = preprocess_wav(samples, source_sr=SAMPLE_RATE)  # volume-normalised, long silences trimmed
        if len(wav) < SAMPLE_RATE // 10:
            return None
        return np.asarray(encoder.embed_utterance(wav), dtype=np.float64)


def speaker_similarity(*, a: Audio, b: Audio) -> float:
    """cos(e_a, e_b) = e_a·e_b / (|e_a|·|e_b|) of the two utterance embeddings; NaN when either has no speech."""
    ea, eb = speaker_embedding(audio=a), speaker_embedding(audio=b)
    if ea is None or eb is None:
        return float("nan")
    return float(ea @ eb / (np.linalg.norm(ea) * np.linalg.norm(eb)))
