"""The committed held-out pairs (tests/data/heldout_synthetic) that every "trained means trained" test scores.

Test-split pairs never seen in training, of the training speakers' transforms; the pair of the unseen
transform is scored in the model cards instead.
"""

from __future__ import annotations

import functools
import os

from models.corpus.manifest import Pair, audio_path, read_manifest
from models.features import Audio, load_audio

HELDOUT = os.path.join(os.path.dirname(__file__), "data", "heldout_synthetic")


@functools.lru_cache(maxsize=1)
def training_transform_pairs() -> list[tuple[Pair, Audio, Audio]]:
    """(pair, speech, singing) at 16 kHz for each held-out pair of a training speaker's transform."""
    return [
        (
            pair,
            load_audio(audio_path(HELDOUT, pair.speech_wav), sr=16000),
            load_audio(audio_path(HELDOUT, pair.singing_wav), sr=16000),
        )
        for pair in read_manifest(HELDOUT)
        if pair.extra["speaker_kind"] == "training transform"
    ]
