"""Trained means trained (ARCHITECTURE.md): each bundled checkpoint beats floors on held-out items, and
each speech → singing model follows a real singer's pitch on two held-out PJS pairs (tests/data/heldout_pjs).

Items: tests/data/heldout_synthetic (test-split pairs never seen in training) of the training
speakers' transforms; the held-out pair of the unseen transform (ked-u1, +15 semitones) is scored in the
model cards instead, where every ICASSP 2020 checkpoint sings it an octave low. Floors need nothing
else to exist: the uniformly stretched input speech and a sine at the note pitches.
"""

from __future__ import annotations

import functools
import os

import numpy as np
import pytest

from evaluation.floors import sine_at_notes, stretched_input
from evaluation.metrics import lsd_icassp, note_pitch_accuracy
from models.features import load_audio
from models.melody import Melody, Note
from models.registry import default_registry
from tests.heldout import training_transform_pairs

SPEECH_TO_SINGING = ["parekh-mtl", "parekh-mse", "parekh-b2", "alignsts"]


@functools.lru_cache(maxsize=1)
def heldout():
    return [
        (pair, speech, singing, [Note(m, o, d) for m, o, d in pair.notes])
        for pair, speech, singing in training_transform_pairs()
    ]


@functools.lru_cache(maxsize=1)
def floors():
    lsd_stretched, lsd_sine, rpa_stretched = [], [], []
    for pair, speech, singing, notes in heldout():
        stretched = stretched_input(speech, len(singing.samples))
        lsd_stretched.append(lsd_icassp(singing, stretched))
        lsd_sine.append(lsd_icassp(singing, sine_at_notes(pair.notes, len(singing.samples), singing.sr)))
        rpa_stretched.append(note_pitch_accuracy(stretched, notes)[0])
    return float(np.mean(lsd_stretched)), float(np.mean(lsd_sine)), float(np.mean(rpa_stretched))


@pytest.fixture(autouse=True, scope="module")
def hifigan_in_fp32():
    """HiFi-GAN runs in bf16 on a CPU with hardware bf16 and in fp32 elsewhere, and AlignSTS's pitch on the
    held-out items hangs on it (RPA 0.77 in bf16, 0.64 in fp32): pinned to fp32 here, so that every machine
    measures the same."""
    from models.vocoders import hifigan

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SONGBRIDGE_HIFIGAN_PRECISION", "fp32")
        hifigan.cache_clear()
        yield
    hifigan.cache_clear()


def heldout_outputs(converter, options=None) -> list:
    """``converter``'s output (with ``options``, else its defaults) for each held-out synthetic item, sung to
    its notes."""
    return [
        converter.convert(s, melody=Melody(tuple(notes)), options=options).audio
        for _, s, _, notes in heldout()
    ]


def heldout_scores(converter, options=None, *, outputs=None) -> tuple[list[float], list[float]]:
    """LSD (icassp) and RPA vs notes on each held-out synthetic item of ``outputs``, else of
    :func:`heldout_outputs` of ``converter`` with ``options``."""
    outputs = outputs if outputs is not None else heldout_outputs(converter, options)
    lsd, rpa = [], []
    for (_, _, singing, notes), output in zip(heldout(), outputs, strict=True):
        lsd.append(lsd_icassp(singing, output))
        rpa.append(note_pitch_accuracy(output, notes)[0])
    return lsd, rpa


#: checkpoints whose output through the universal HiFi-GAN (their default vocoder) misses the pitch row on
#: the held-out items although their mel carries the pitch: their pitch is checked through Griffin-Lim, and the
#: shortfall is strict, so a fix turns this test red until the entry goes (the card says it with numbers)
HIFIGAN_PITCH_SHORTFALL = {
    "alignsts": "RPA vs notes 0.64 through HiFi-GAN in fp32 (0.50, 0.86, 0.56: one item 41 cents sharp, one "
    "note of another 13 semitones low), 0.77 in bf16, 1.00 through Griffin-Lim",
}


@pytest.mark.parametrize("name", SPEECH_TO_SINGING)
def test_speech_to_singing_checkpoint_beats_its_floors(name):
    registry = default_registry()
    spec = registry.spec(name)
    assert spec.available, f"{name}: bundled checkpoint missing at {spec.checkpoint_path}"
    converter = registry.get(name)
    lsd, rpa = heldout_scores(converter)
    lsd_stretched, lsd_sine, rpa_stretched = floors()
    assert np.mean(lsd) <= 0.95 * min(lsd_stretched, lsd_sine), (np.mean(lsd), lsd_stretched, lsd_sine)
    if name in HIFIGAN_PITCH_SHORTFALL:
        assert np.mean(rpa) < 0.7, (
            f"{name} reaches RPA {np.mean(rpa):.2f}: take it off HIFIGAN_PITCH_SHORTFALL"
        )
        _, rpa = heldout_scores(converter, converter.Options(vocoder="griffinlim"))
    assert np.mean(rpa) >= 0.7, rpa
    assert np.mean(rpa) >= rpa_stretched + 0.3, (np.mean(rpa), rpa_stretched)


HELDOUT_PJS = os.path.join(os.path.dirname(__file__), "data", "heldout_pjs")


@functools.lru_cache(maxsize=1)
def heldout_pjs():
    """(speech, singing) of the two committed PJS test pairs (a real singer; CC BY-SA 4.0, see their README)."""
    from models.corpus.manifest import audio_path, read_manifest

    return [
        (
            load_audio(audio_path(HELDOUT_PJS, p.speech_wav)),
            load_audio(audio_path(HELDOUT_PJS, p.singing_wav)),
        )
        for p in read_manifest(HELDOUT_PJS)
    ]


def real_singer_rca(converter) -> list[float]:
    """RCA against the true singing of ``converter`` following each held-out PJS pair's singing."""
    from evaluation.metrics import true_pitch_scores
    from models.melody import from_recording

    return [
        true_pitch_scores(converter.convert(speech, melody=from_recording(singing)).audio, singing).rca
        for speech, singing in heldout_pjs()
    ]


#: bundled checkpoints measured below the 0.7 of issue 24 on these two pairs: the goal is not met for them,
#: said in their cards; strict, so a checkpoint that reaches it fails here until it is taken off this list
BELOW_REAL_SINGER_GOAL: dict[str, str] = {}  # P-MTL was here (RCA 0.66) until its log-image retrain


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=BELOW_REAL_SINGER_GOAL[n]))
        if n in BELOW_REAL_SINGER_GOAL
        else n
        for n in SPEECH_TO_SINGING
    ],
)
def test_speech_to_singing_checkpoint_sings_a_real_singers_pitch(name):
    """Given the true singing as a reference to follow (the papers' setting: its own F0 contour), the output's
    raw chroma accuracy against that singing is at least 0.7 on both held-out PJS pairs on average."""
    rca = real_singer_rca(default_registry().get(name))
    assert np.mean(rca) >= 0.7, rca


HELDOUT_STYLE = os.path.join(os.path.dirname(__file__), "data", "heldout_style")


def test_voice_style_checkpoint_moves_toward_the_growl_target():
    """vae-growl: lsd_db to the growl target ≥ 20 % lower than the unprocessed input's (3 held-out pairs)."""
    from evaluation.metrics import lsd_db
    from models.vae_style.data import pair_names

    registry = default_registry()
    spec = registry.spec("vae-growl")
    assert spec.available, f"vae-growl: bundled checkpoint missing at {spec.checkpoint_path}"
    converter = registry.get("vae-growl")
    ours, floor = [], []
    for name in pair_names(HELDOUT_STYLE):
        clean = load_audio(os.path.join(HELDOUT_STYLE, name, "clean.wav"))
        target = load_audio(os.path.join(HELDOUT_STYLE, name, "target.wav"))
        floor.append(lsd_db(target, clean))
        ours.append(lsd_db(target, converter.convert(clean).audio))
    assert np.mean(ours) <= 0.8 * np.mean(floor), (ours, floor)
