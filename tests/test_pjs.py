"""The PJS loader on a two-song fixture in PJS's own layout (and on the real corpus when it is beside us)."""

import itertools
import os
import shutil

import mido
import numpy as np
import pytest
import soundfile

from models.corpus.manifest import read_manifest
from models.corpus.phones import PHONES
from models.corpus.pjs import PJS_TO_CMU, PjsError, build_pjs

RATE = 24000
PJS_ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "pjs")
#: (label, seconds) of the fixture's song: "ka to", each vowel one note
SONG = [("pau", 0.6), ("k", 0.08), ("a", 0.6), ("t", 0.08), ("o", 0.8), ("pau", 0.5)]
SPEECH = [("pau", 0.3), ("k", 0.06), ("a", 0.12), ("t", 0.06), ("o", 0.15), ("pau", 0.3)]


def _render(segments, pitch_hz) -> np.ndarray:
    """Vowels as harmonic tones with their own formant-like tilt, consonants as noise bursts."""
    rng = np.random.default_rng(0)
    pieces, vowel = [], 0
    for label, seconds in segments:
        n = int(seconds * RATE)
        t = np.arange(n) / RATE
        if label == "pau":
            pieces.append(np.zeros(n))
        elif label in ("a", "o"):
            f0 = pitch_hz[vowel]
            vowel += 1
            weights = [1, 0.8, 0.5, 0.3] if label == "a" else [1, 0.3, 0.1, 0.05]
            pieces.append(0.2 * sum(w * np.sin(2 * np.pi * f0 * (k + 1) * t) for k, w in enumerate(weights)))
        else:
            pieces.append(0.05 * rng.standard_normal(n))
    return np.concatenate(pieces).astype(np.float32)


def _write_lab(path, segments):
    now, lines = 0.0, []
    for label, seconds in segments:
        lines.append(f"{round(now * 1e7)} {round((now + seconds) * 1e7)} {label}")
        now += seconds
    with open(path, "w") as handle:
        handle.write("\n".join(lines) + "\n")


def _write_midi(path, notes, *, start_s):
    """Two notes (MIDI, seconds each) from ``start_s``, at 120 BPM (one beat = 0.5 s = 480 ticks)."""
    midi = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack()
    midi.tracks.append(track)
    track.append(mido.MetaMessage("set_tempo", tempo=500000))
    delay = round(start_s * 960)
    for note, seconds in notes:
        track.append(mido.Message("note_on", note=note, velocity=80, time=delay))
        track.append(mido.Message("note_off", note=note, velocity=0, time=round(seconds * 960)))
        delay = 0
    midi.save(path)


def make_fixture(root, *, octave_off: bool = False) -> str:
    """pjs001 and pjs002 (a song each), pjs003 speech only, as PJS lays them out."""
    for number, pitches in (("001", (220.0, 246.9)), ("002", (196.0, 220.0))):
        song = f"pjs{number}"
        folder = os.path.join(root, song)
        os.makedirs(folder)
        soundfile.write(os.path.join(folder, f"{song}_song.flac"), _render(SONG, pitches), RATE)
        soundfile.write(os.path.join(folder, f"{song}_speech.flac"), _render(SPEECH, (140.0, 120.0)), RATE)
        _write_lab(os.path.join(folder, f"{song}.lab"), SONG)
        midi = [
            round(69 + 12 * np.log2(p / 440)) + (12 if octave_off and number == "002" else 0) for p in pitches
        ]
        # the score starts 0.25 s before the first vowel (as pjs001 does), the vowels are 0.68 s apart
        _write_midi(
            os.path.join(folder, f"{song}.mid"), [(midi[0], 0.68), (midi[1], 0.8)], start_s=0.68 - 0.25
        )
    os.makedirs(os.path.join(root, "pjs003"))
    soundfile.write(os.path.join(root, "pjs003", "pjs003_speech.flac"), _render(SPEECH, (140.0, 120.0)), RATE)
    return str(root)


def test_pjs_fixture_becomes_a_manifest_with_mapped_phones_shifted_notes_and_derived_speech_phones(tmp_path):
    root = make_fixture(tmp_path / "pjs", octave_off=True)
    report = build_pjs(root, str(tmp_path / "out"), seed=0, progress=False)
    assert report.songs == 2 and report.speech_only == ["pjs003"]
    pairs = {pair.id: pair for pair in read_manifest(str(tmp_path / "out"))}
    assert set(pairs) == {"pjs001", "pjs002"} and {p.split for p in pairs.values()} == {"test", "train"}
    first = pairs["pjs001"]
    assert first.extra["language"] == "ja" and first.extra["license"] == "CC BY-SA 4.0"
    assert [p for _, _, p in first.singing_phones] == ["SIL", "K", "AA", "T", "OW", "SIL"]
    # cut 50 ms before the first sung phone; the score moved by +0.25 s onto the vowels
    assert first.singing_phones[1][0] == pytest.approx(0.05, abs=1e-4)
    sung = [n for n in first.notes if n[0] is not None]
    assert [n[0] for n in sung] == [57, 59]
    assert sung[0][1] == pytest.approx(first.singing_phones[2][0], abs=0.01)  # note 1 starts with "a"
    assert first.extra["score_shift_s"] == pytest.approx(0.25, abs=0.01)
    assert pairs["pjs002"].extra["score_octave_correction"] == -12  # written an octave up: moved down
    assert [n[0] for n in pairs["pjs002"].notes if n[0] is not None] == [55, 57]
    speech = first.speech_phones
    assert "derived" in first.extra["speech_phones_from"]
    assert all(a < b for a, b, _ in speech) and all(x[1] == y[0] for x, y in itertools.pairwise(speech))
    assert {p for _, _, p in speech} <= set(PHONES) and "AA" in {p for _, _, p in speech}
    speech_s = soundfile.info(os.path.join(tmp_path, "out", first.speech_wav)).duration
    assert speech[-1][1] == pytest.approx(speech_s, abs=0.02)
    assert speech_s < 0.8  # trimmed to the loud part (0.44 s of sound, 50 ms margins)


def test_every_pjs_label_maps_to_a_manifest_phone_and_bad_layouts_are_named(tmp_path):
    assert set(PJS_TO_CMU.values()) <= set(PHONES)
    with pytest.raises(PjsError, match="expected the PJS folder"):
        build_pjs(str(tmp_path / "nowhere"), str(tmp_path / "out"), progress=False)
    root = make_fixture(tmp_path / "pjs")
    os.remove(os.path.join(root, "pjs002", "pjs002.lab"))
    with pytest.raises(PjsError, match=r"pjs002\.lab"):
        build_pjs(root, str(tmp_path / "out"), progress=False)


def test_pjs_real_songs_when_the_corpus_is_beside_the_checkout(tmp_path):
    """Two real songs (pjs001, pjs012: its score is written an octave above the singing); where the
    shared corpus is absent, the fixture stands in so the test still checks the build."""
    root = tmp_path / "pjs"
    if os.path.isdir(os.path.join(PJS_ROOT, "pjs012")):
        for song in ("pjs001", "pjs012"):
            shutil.copytree(os.path.join(PJS_ROOT, song), root / song)
        expected_octaves = {"pjs001": 0, "pjs012": 12}
    else:
        make_fixture(root, octave_off=True)
        expected_octaves = {"pjs001": 0, "pjs002": -12}
    build_pjs(str(root), str(tmp_path / "out"), progress=False)
    pairs = read_manifest(str(tmp_path / "out"))
    assert {p.id: p.extra["score_octave_correction"] for p in pairs} == expected_octaves
    for pair in pairs:
        sung = [n for n in pair.notes if n[0] is not None]
        vowels = [a for a, _, p in pair.singing_phones if p in {"AA", "IY", "UW", "EH", "OW", "N"}]
        assert len(sung) >= 2 and vowels and pair.speech_phones
        assert sung[0][1] == pytest.approx(vowels[0], abs=0.05)
