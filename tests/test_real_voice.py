"""The committed real-voice evaluation set (evaluation/real_voice/): files, hashes, labels, alignments, notes.

Reads only what is committed; nothing is downloaded or rebuilt here.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
import soundfile

from evaluation.real_voice import build
from models.corpus.manifest import read_manifest, sha256_file
from models.corpus.phones import PHONES, SILENCE, VOWELS
from models.forced_align import normalize_words

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SET = os.path.join(ROOT, "evaluation", "real_voice")
PAIRS = read_manifest(SET)
SOURCES = {"pyannote", "librivox", "arctic", "csoundqt"}


def _path(relative: str) -> str:
    return os.path.join(SET, relative)


def _duration(relative: str) -> float:
    return soundfile.info(_path(relative)).duration


def test_the_set_holds_every_source_and_only_test_pairs():
    assert len(PAIRS) >= 10
    assert {pair.id.split("-")[0] for pair in PAIRS} == SOURCES
    assert {pair.split for pair in PAIRS} == {"test"}
    assert all(pair.base_voice == "real" for pair in PAIRS)
    assert [pair.id for pair in PAIRS] == sorted(pair.id for pair in PAIRS)


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: p.id)
def test_files_exist_match_their_hashes_and_are_16k_mono_pcm16(pair):
    assert pair.sample_rate == 16000
    assert set(pair.sha256) == {"speech_wav", "singing_wav"}
    for key, relative in (("speech_wav", pair.speech_wav), ("singing_wav", pair.singing_wav)):
        assert not os.path.isabs(relative)
        assert os.path.isfile(_path(relative)), relative
        assert sha256_file(_path(relative)) == pair.sha256[key], f"{relative} changed since the build"
        info = soundfile.info(_path(relative))
        assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16")
    assert pair.speech_wav == f"speech/{pair.id}.wav"
    assert pair.singing_wav == f"sung_world/{pair.id}.wav"


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: p.id)
def test_text_and_provenance(pair):
    assert pair.text.strip() and normalize_words(pair.text)
    extra = pair.extra
    assert extra["source"] and extra["licence"]
    assert extra["phones_from"] in {"shipped HTS labels", "pocketsphinx forced alignment"}
    assert 50 < extra["median_f0_hz"] < 400
    assert extra["speech_alignment_score"] >= build.ACCEPT_SCORE
    assert 1.4 <= _duration(pair.speech_wav) <= 8.0


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: p.id)
def test_the_sung_file_is_labelled_machine_made(pair):
    assert pair.extra["singing_is"] == build.SINGING_IS
    assert "not a reference" in pair.extra["singing_is"]
    assert pair.singing_wav.startswith("sung_world/")
    assert pair.extra["singing_made_by"].startswith("world-sts")


def _check_spans(spans, duration: float) -> None:
    assert spans, "no phones"
    assert all(phone in PHONES for _, _, phone in spans)
    assert any(phone != SILENCE for _, _, phone in spans)
    previous_end = 0.0
    for start, end, _ in spans:
        assert 0.0 <= start < end <= duration + 1e-3
        assert start >= previous_end - 1e-6, "phones overlap or are out of order"
        previous_end = end


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: p.id)
def test_phones_are_cmu39_plus_sil_and_lie_within_the_audio(pair):
    _check_spans(pair.speech_phones, _duration(pair.speech_wav))
    if pair.singing_phones is not None:
        assert pair.extra["singing_phones_from"].startswith("pocketsphinx forced alignment of the WORLD-sung")
        _check_spans(pair.singing_phones, _duration(pair.singing_wav))


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: p.id)
def test_notes_one_per_vowel_inside_the_sung_file(pair):
    sung = [note for note in pair.notes if note[0] is not None]
    assert sung, "no sung note"
    vowels = sum(phone in VOWELS for _, _, phone in pair.speech_phones)
    assert len(sung) == vowels == pair.extra["syllables_sung"]
    duration = _duration(pair.singing_wav)
    for midi, onset, length in pair.notes:
        assert midi is None or 30 <= midi <= 80
        assert onset >= 0 and length > 0 and onset + length <= duration + 0.01
    assert abs(max(onset + length for _, onset, length in pair.notes) - duration) < 0.01


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: p.id)
def test_the_melody_comes_from_the_seeded_generator(pair):
    rng = np.random.default_rng(pair.extra["melody_seed"])
    melody = build.draw_melody(pair.speech_phones, pair.extra["melody_range_from_f0_hz"], rng, pair.id)
    redrawn = [(n.midi, n.onset, n.duration) for n in melody.notes]
    assert [m for m, _, _ in redrawn] == [m for m, _, _ in pair.notes]
    np.testing.assert_allclose([o for _, o, _ in redrawn], [o for _, o, _ in pair.notes], atol=1e-6)


def test_hts_labels_and_alignment_spans_map_to_the_phone_set(tmp_path):
    lab = tmp_path / "x.lab"
    lab.write_text(
        "0 1300000 x^x-sil+hh=iy@x\n1300000 2050000 x^sil-hh+iy=t@1\n2050000 2700000 sil^hh-ax+t=er@2\n"
        "2700000 3100000 hh^ax-pau+x=x@x\n"
    )
    assert build.hts_phones(str(lab), 0.31) == [
        (0.0, 0.13, "SIL"),
        (0.13, 0.205, "HH"),
        (0.205, 0.27, "AH"),
        (0.27, 0.31, "SIL"),
    ]

    class P:
        def __init__(self, label, start, end):
            self.label, self.start, self.end = label, start, end

    spans = build.aligned_phones([P("HH", 0.1, 0.2), P("IY1", 0.2, 0.35), P("+NSN+", 0.5, 0.6)], 0.7)
    assert spans == [(0.0, 0.1, "SIL"), (0.1, 0.2, "HH"), (0.2, 0.35, "IY"), (0.35, 0.7, "SIL")]


def test_committed_audio_stays_small():
    total = sum(os.path.getsize(_path(p.speech_wav)) + os.path.getsize(_path(p.singing_wav)) for p in PAIRS)
    assert total < 10e6


def test_dataset_card_and_licences_are_committed():
    with open(_path("DATASET.md"), encoding="utf-8") as handle:
        card = handle.read()
    for pair in PAIRS:
        assert pair.id in card
    assert "machine-made" in card
    for name in (
        "CMU_ARCTIC_COPYING",
        "pyannote-audio_LICENSE",
        "pocketsphinx-testdata_copyright",
        "LGPL-2.1",
    ):
        assert os.path.isfile(_path(os.path.join("licenses", name))), name
