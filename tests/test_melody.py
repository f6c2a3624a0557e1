import mido
import numpy as np
import pytest

from evaluation.synthetic import vibrato_tone
from models.errors import MelodyError
from models.features import Audio
from models.melody import TUNES, from_midi, from_recording, midi_to_hz, parse_note_text, tune


def test_note_text_with_tempo_dots_rests_and_accidentals():
    melody = parse_note_text("tempo=120: C4/4 F#4/8 Bb3/4. r/4 A4/2")
    assert [n.midi for n in melody.notes] == [60, 66, 58, None, 69]
    assert [round(n.duration, 4) for n in melody.notes] == [0.5, 0.25, 0.75, 0.5, 1.0]
    assert melody.duration == pytest.approx(3.0)
    assert midi_to_hz(69) == pytest.approx(440.0)


def test_note_text_in_midi_seconds():
    melody = parse_note_text("60:0.5 62:0.25 r:0.25 64:1")
    assert [(n.midi, n.onset, n.duration) for n in melody.notes][1] == (62, 0.5, 0.25)
    assert melody.duration == pytest.approx(2.0)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("C4/4 H4/4", "Token 2 'H4/4'"),
        ("C4/0", "Token 1 'C4/0'"),
        ("60:0.5 200:1", "Token 2 '200:1'"),
        ("r/4 r/2", "no notes"),
        ("", "no notes"),
        ("tempo=5: C4/4", "Tempo 5"),
        ("60:30 62:40", "limit is 60 s"),
    ],
)
def test_note_text_errors_name_the_token_and_position(text, words):
    with pytest.raises(MelodyError, match=words):
        parse_note_text(text)


def test_transpose_tempo_and_contour():
    melody = parse_note_text("A4/4 r/4 A5/4").transposed(-12).at_tempo(2.0)
    assert [n.midi for n in melody.sung_notes] == [57, 69]
    assert melody.duration == pytest.approx(0.9)  # 3 quarters at the default 100 BPM, twice as fast
    contour = melody.contour(hop_s=0.01)
    assert (
        contour.hz[5] == pytest.approx(220.0)
        and contour.hz[40] == 0.0
        and contour.hz[70] == pytest.approx(440.0)
    )


def test_built_in_tunes_are_at_least_five_and_parse():
    assert len(TUNES) >= 5
    for name in TUNES:
        assert len(tune(name).sung_notes) >= 8
    with pytest.raises(MelodyError, match="Choose one of"):
        tune("no such tune")


def write_midi(path, notes, channel=0, tempo=500000):
    """notes: (pitch, start_beats, end_beats), 480 ticks a beat."""
    events = []
    for pitch, start, end in notes:
        events += [(int(start * 480), "note_on", pitch), (int(end * 480), "note_off", pitch)]
    track = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=tempo, time=0)])
    now = 0
    for tick, kind, pitch in sorted(events, key=lambda e: (e[0], e[1] == "note_on")):
        track.append(
            mido.Message(
                kind, note=pitch, velocity=80 if kind == "note_on" else 0, channel=channel, time=tick - now
            )
        )
        now = tick
    midi = mido.MidiFile(ticks_per_beat=480)
    midi.tracks.append(track)
    midi.save(path)
    return str(path)


def test_midi_top_line_with_rests(tmp_path):
    path = write_midi(tmp_path / "m.mid", [(60, 0, 1), (64, 1, 2), (48, 1, 2), (67, 3, 4)])
    melody = from_midi(path)
    assert [(n.midi, round(n.onset, 3), round(n.duration, 3)) for n in melody.notes] == [
        (60, 0.0, 0.5),
        (64, 0.5, 0.5),
        (None, 1.0, 0.5),
        (67, 1.5, 0.5),
    ]


def test_midi_refusals(tmp_path):
    drums = write_midi(tmp_path / "d.mid", [(36, 0, 1), (38, 1, 2)], channel=9)
    with pytest.raises(MelodyError, match="no pitched notes"):
        from_midi(drums)
    chords = write_midi(tmp_path / "c.mid", [(60, 0, 1), (64, 0, 1), (67, 0, 1), (62, 1, 2), (65, 1, 2)])
    with pytest.raises(MelodyError, match="only chords"):
        from_midi(chords)
    for garbage in (b"MThd garbage", b""):
        (tmp_path / "bad.mid").write_bytes(garbage)
        with pytest.raises(MelodyError, match="Could not read the MIDI") as refused:
            from_midi(str(tmp_path / "bad.mid"))
        assert "()" not in str(refused.value)  # an error without words left empty parentheses


def test_reference_recording_is_segmented_into_its_notes():
    sr = 22050
    parts = [
        vibrato_tone(hz, seconds=0.5, extent_cents=20, noise_db=30, seed=i).audio.samples
        for i, hz in enumerate(midi_to_hz(np.array([60, 64, 67])))
    ]
    gap = np.zeros(int(0.2 * sr), np.float32)
    melody = from_recording(Audio(np.concatenate([parts[0], gap, parts[1], parts[2]]), sr))
    assert [n.midi for n in melody.sung_notes] == [60, 64, 67]
    assert melody.sung_notes[1].onset == pytest.approx(0.7, abs=0.05)


def test_reference_recording_without_voice_is_refused(rng):
    with pytest.raises(MelodyError, match="No sung notes"):
        from_recording(Audio((0.1 * rng.standard_normal(22050)).astype(np.float32), 22050))
