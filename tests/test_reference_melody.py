"""A reference recording drives world-sts: its contour sung as it is, its words as a guide vocal, an
octave that fits the voice, and clear messages where a reference cannot be used (issue 21)."""

import os

import numpy as np
import pytest

from evaluation.metrics import given_contour_scores, pitch_track
from evaluation.synthetic import vibrato_tone, vowel_chain
from models.corpus.manifest import audio_path, read_manifest
from models.dsp.guide import align_to_guide
from models.dsp.world_sts import GUIDE, WorldSpeechToSinging, WorldSTSOptions
from models.errors import AudioInputError, MelodyError
from models.features import Audio, load_audio
from models.melody import Melody, Note, from_recording, parse_note_text
from tests.conftest import SPEECH_EXAMPLE

HELDOUT = os.path.join(os.path.dirname(__file__), "data", "heldout_synthetic")
NO_OCTAVE = WorldSTSOptions(auto_octave=False)


def heldout_pairs():
    return [
        (
            pair,
            load_audio(audio_path(HELDOUT, pair.speech_wav)),
            load_audio(audio_path(HELDOUT, pair.singing_wav)),
        )
        for pair in read_manifest(HELDOUT)
    ]


def test_a_recorded_melody_keeps_its_contour_through_transpose_and_tempo():
    reference = vibrato_tone(220.0, rate_hz=6.0, extent_cents=60.0, noise_db=None, seconds=2.0).audio
    melody = from_recording(reference)
    assert melody.follows_contour and melody.sung_notes
    contour = melody.contour(0.01)
    voiced = contour.hz[contour.hz > 0]
    cents = 1200 * np.log2(voiced / 220.0)
    assert 50 < np.percentile(np.abs(cents), 95) < 70  # the vibrato, not a staircase
    up = melody.transposed(12).contour(0.01).hz
    assert np.allclose(up[up > 0], 2 * contour.hz[contour.hz > 0])
    fast = melody.at_tempo(2.0)
    assert fast.duration == pytest.approx(melody.duration / 2, abs=0.02)
    assert fast.contour(0.01).hz[50] == pytest.approx(contour.hz[100], rel=0.02)
    # as notes: the staircase; note text is unchanged by any of this
    assert not melody.as_notes().follows_contour
    staircase = melody.as_notes().contour(0.01).hz
    assert len(np.unique(staircase[staircase > 0])) <= 2
    typed = parse_note_text("60:0.5 62:0.5")
    assert not typed.follows_contour and typed.contour(0.01).hz[10] == pytest.approx(261.63, abs=0.01)


def test_a_6_hz_60_cent_vibrato_of_the_reference_survives_into_the_sung_output():
    reference = vibrato_tone(196.0, rate_hz=6.0, extent_cents=60.0, noise_db=None, seconds=2.5).audio
    melody = from_recording(reference)
    out = WorldSpeechToSinging().convert(vowel_chain(3), melody=melody, options=NO_OCTAVE).audio
    track = pitch_track(out)
    hop = track.hop_s
    middle = (track.times > 0.6) & (track.times < 2.0)
    assert np.mean(track.hz[middle] > 0) > 0.9
    cents = 1200 * np.log2(track.hz[middle & (track.hz > 0)] / 196.0)
    cents -= cents.mean()
    spectrum = np.abs(np.fft.rfft(cents * np.hanning(len(cents)), 8 * len(cents)))
    rate = np.fft.rfftfreq(8 * len(cents), hop)[np.argmax(spectrum)]
    extent = np.sqrt(2) * cents.std()
    assert rate == pytest.approx(6.0, abs=0.4), rate
    assert extent == pytest.approx(60.0, abs=15.0), extent


def test_world_sts_sings_the_given_contour():
    """RPA of the output against the contour it was given, over the middle 15–85 % of each note read from
    the reference (onsets belong to the speech's consonants): one syllable per note here."""
    _, speech, singing = heldout_pairs()[0]
    melody = from_recording(singing)
    out = WorldSpeechToSinging().convert(speech, melody=melody, options=NO_OCTAVE).audio
    scores = given_contour_scores(estimate=pitch_track(out), melody=melody)
    assert scores.rpa >= 0.9, scores


def test_guide_alignment_finds_the_speech_phone_onsets_far_better_than_a_uniform_stretch():
    errors, uniform = [], []
    for pair, speech, singing in heldout_pairs():
        sung = [a for a, _, p in pair.singing_phones if p != "SIL"]
        spoken = [a for a, _, p in pair.speech_phones if p != "SIL"]
        assert len(sung) == len(spoken)
        alignment = align_to_guide(speech, singing)
        assert alignment.words_match
        errors += list(np.abs(alignment.speech_time_at(np.asarray(sung)) - spoken))
        uniform += list(np.abs(np.asarray(sung) * speech.duration / singing.duration - spoken))
    assert np.median(errors) < 0.05
    assert np.median(errors) < 0.3 * np.median(uniform)


def test_guide_vocal_follows_the_guide_and_a_reference_of_other_words_falls_back_to_its_melody():
    pairs = heldout_pairs()
    (_, speech, singing), (_, _, other_singing) = pairs[0], pairs[1]
    guided = WorldSpeechToSinging().convert(
        speech,
        melody=from_recording(singing),
        options=WorldSTSOptions(reference_use=GUIDE, auto_octave=False),
    )
    assert "Aligned to the guide vocal" in " ".join(guided.notes)
    assert guided.audio.duration == pytest.approx(singing.duration, abs=0.05)
    other = WorldSpeechToSinging().convert(
        speech,
        melody=from_recording(other_singing),
        options=WorldSTSOptions(reference_use=GUIDE, auto_octave=False),
    )
    assert "does not seem to sing the words" in " ".join(other.notes)


def test_auto_octave_moves_a_melody_into_the_speakers_range_and_keeps_one_already_there():
    speech = load_audio(SPEECH_EXAMPLE)  # a female voice, median about 180 Hz
    high = parse_note_text("72:0.6 76:0.6 79:0.8")  # C5–G5, more than an octave above her singing range
    result = WorldSpeechToSinging().convert(speech, melody=high)
    assert "down 1 octave" in " ".join(result.notes)
    sung = pitch_track(result.audio).hz
    assert 150 < np.median(sung[sung > 0]) < 450
    fitting = parse_note_text("57:0.6 60:0.6 64:0.8")
    assert "octave" not in " ".join(WorldSpeechToSinging().convert(speech, melody=fitting).notes)
    kept = WorldSpeechToSinging().convert(speech, melody=high, options=NO_OCTAVE).audio
    kept_hz = pitch_track(kept).hz
    assert np.median(kept_hz[kept_hz > 0]) > 500


def test_unusable_references_and_speech_get_clear_messages():
    with pytest.raises(MelodyError, match="No sung notes"):
        from_recording(
            Audio((0.05 * np.random.default_rng(0).standard_normal(22050)).astype(np.float32), 22050)
        )
    long_reference = vibrato_tone(220.0, noise_db=None, seconds=61.0).audio
    with pytest.raises(MelodyError, match="limit is 60 s"):
        from_recording(long_reference)
    speech = vowel_chain(2)  # about 0.5 s of speech
    ten_times = vibrato_tone(220.0, noise_db=None, seconds=10 * speech.duration + 1).audio
    result = WorldSpeechToSinging().convert(
        speech, melody=from_recording(ten_times), options=WorldSTSOptions(reference_use=GUIDE)
    )
    assert "over ten times longer than the speech" in " ".join(result.notes)
    silence = Audio(np.zeros(22050, np.float32), 22050)
    with pytest.raises(AudioInputError, match="No voiced speech"):
        WorldSpeechToSinging().convert(silence, melody=Melody((Note(60, 0.0, 1.0),)))


def test_the_tab_reads_a_reference_exactly_or_as_notes_and_its_notes_round_trip_as_note_text(tmp_path):
    import soundfile

    from demo.melody_input import AS_NOTES, FOLLOW, melody_from_inputs
    from models.features import AudioLimits
    from models.melody import to_note_text

    reference = vibrato_tone(220.0, rate_hz=6.0, extent_cents=60.0, noise_db=None, seconds=2.0).audio
    path = str(tmp_path / "reference.wav")
    soundfile.write(path, reference.samples, reference.sr)
    chosen = {
        "melody_source": "Reference recording",
        "tune": None,
        "note_text": "",
        "midi_file": None,
        "reference_recording": path,
        "transpose": 0,
        "tempo": 1.0,
        "limits": AudioLimits(),
    }
    exact = melody_from_inputs(**chosen, reference_mode=FOLLOW)
    as_notes = melody_from_inputs(**chosen, reference_mode=AS_NOTES)
    assert exact.follows_contour and not as_notes.follows_contour
    assert exact.notes == as_notes.notes
    again = parse_note_text(to_note_text(as_notes))
    assert [n.midi for n in again.notes] == [n.midi for n in as_notes.notes]
    assert [round(n.onset, 3) for n in again.notes] == [round(n.onset, 3) for n in as_notes.notes]


def test_note_text_of_many_short_notes_does_not_drift():
    from models.melody import to_note_text

    hop = 256 / 22050  # notes read from a recording sit on the 11.6 ms frame grid
    notes = tuple(Note(60 + i % 5 if i % 7 else None, i * 3 * hop, 3 * hop) for i in range(200))
    again = parse_note_text(to_note_text(Melody(notes)))
    assert max(abs(a.onset - b.onset) for a, b in zip(again.notes, notes, strict=True)) < 1e-3


def test_a_guide_vocal_sets_the_singers_formant_boost_by_how_much_brighter_it_is():
    from models.dsp.reference import formant_gain_db
    from models.features import Audio

    sr = 22050
    noise = np.random.default_rng(0).standard_normal(4 * sr) * 0.1
    spectrum = np.fft.rfft(noise)
    freqs = np.fft.rfftfreq(len(noise), 1 / sr)
    spectrum[(freqs >= 2500) & (freqs < 3500)] *= 2.0  # the singer's formant band 6 dB up
    plain = Audio(noise.astype(np.float32), sr)
    bright = Audio(np.fft.irfft(spectrum, len(noise)).astype(np.float32), sr)
    assert 5.0 < formant_gain_db(plain, bright, 12.0) < 7.0
    assert formant_gain_db(plain, bright, 3.0) == 3.0  # never past the slider
    assert formant_gain_db(bright, plain, 12.0) == 0.0  # a duller guide asks for no boost


def test_the_tab_plots_the_reference_pitch_curve_over_the_notes_read_from_it():
    from demo.plots import melody_figure
    from models.melody import hz_to_midi

    reference = vibrato_tone(220.0, rate_hz=6.0, extent_cents=60.0, noise_db=None, seconds=2.0).audio
    melody = from_recording(reference)
    lines = melody_figure(melody).axes[0].get_lines()
    curve = next(line for line in lines if line.get_label() == "pitch curve")
    drawn = np.asarray(curve.get_ydata(), dtype=float)
    voiced = melody.contour().hz > 0
    assert np.allclose(drawn[voiced], hz_to_midi(melody.contour().hz[voiced]))
    assert np.ptp(drawn[voiced]) > 0.9  # the ±60-cent vibrato shows, not a flat line
    notes = [line for line in lines if line.get_label().startswith("_") and len(line.get_xdata()) == 2]
    assert len(notes) == len(melody.sung_notes)


def test_a_single_syllable_is_counted_in_good_grammar_and_too_few_syllables_are_warned_about():
    from evaluation.synthetic import vowel_chain

    result = WorldSpeechToSinging().convert(
        vowel_chain(1), melody=parse_note_text("tempo=120: C4/4 D4/4 E4/4 F4/4 G4/4 A4/4")
    )
    said = " ".join(result.notes)
    assert "1 syllable found" in said and "1 syllables" not in said
    assert "Only 1 syllable for 6 notes" in said


def test_unreadable_audio_is_explained_without_an_exception_class_name():
    from models.audio_file import unreadable

    assert "()" not in str(unreadable("'x.wav'", ValueError()))
    assert "(bad header)" in str(unreadable("'x.wav'", ValueError("bad header")))
