"""Trained means trained (ARCHITECTURE.md) for the bundled s2s-flow checkpoint.

Floor: the input singing itself. On the committed held-out pairs of the training speakers' transforms
(tests/data/heldout_synthetic, test split, never trained on) the converted speech must be ≥ 10 % closer
to the true speech in mel-cepstral distortion than the singing is, and pocketsphinx's forced alignment
against the lyrics must succeed at least as often as on the singing.
"""

from __future__ import annotations

import functools
import os

import numpy as np

from evaluation.metrics import mcd
from models.corpus.manifest import audio_path, read_manifest
from models.features import load_audio
from models.forced_align import alignment_score
from models.registry import default_registry

HELDOUT = os.path.join(os.path.dirname(__file__), "data", "heldout_synthetic")


@functools.lru_cache(maxsize=1)
def heldout():
    items = []
    for pair in read_manifest(HELDOUT):
        if pair.extra["speaker_kind"] != "training transform":
            continue
        speech = load_audio(audio_path(HELDOUT, pair.speech_wav))
        singing = load_audio(audio_path(HELDOUT, pair.singing_wav))
        items.append((pair.text, speech, singing))
    return items


@functools.lru_cache(maxsize=1)
def scored():
    """(MCD to the true speech, forced-alignment success) of output and input, per held-out item."""
    registry = default_registry()
    spec = registry.spec("s2s-flow")
    assert spec.available, f"s2s-flow: bundled checkpoint missing at {spec.checkpoint_path}"
    converter = registry.get("s2s-flow")
    rows = []
    for text, speech, singing in heldout():
        output = converter.convert(singing).audio
        rows.append(
            {
                "mcd_out": mcd(speech, output),
                "mcd_in": mcd(speech, singing),
                "aligned_out": alignment_score(output, text).success,
                "aligned_in": alignment_score(singing, text).success,
            }
        )
    assert len(rows) == 3
    return rows


def mean(key: str) -> float:
    return float(np.mean([row[key] for row in scored()]))


def test_s2s_flow_is_closer_to_the_true_speech_than_the_singing():
    assert mean("mcd_out") <= 0.9 * mean("mcd_in"), scored()


def test_s2s_flow_is_forced_aligned_at_least_as_often_as_the_singing():
    assert mean("aligned_out") >= mean("aligned_in"), scored()
