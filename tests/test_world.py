import numpy as np
import pytest

from evaluation.metrics import envelope_distance, note_pitch_accuracy
from evaluation.synthetic import vowel_chain
from models.dsp.alignment import assign_syllables
from models.dsp.world_s2s import WorldS2SOptions, WorldSingingToSpeech
from models.dsp.world_sts import WorldSpeechToSinging, WorldSTSOptions
from models.errors import AudioInputError, MelodyError
from models.features import Audio, f0, load_audio
from models.melody import Note, midi_to_hz, parse_note_text, tune
from tests.conftest import SPEECH_EXAMPLE


def notes(*durations):
    out, t = [], 0.0
    for d in durations:
        out.append(Note(60, t, d))
        t += d
    return out


def test_syllables_map_one_to_one_when_counts_match():
    slots = assign_syllables([0.1, 0.1, 0.1], notes(0.5, 0.5, 1.0))
    assert [(s.syllable, s.start, s.end) for s in slots] == [(0, 0.0, 0.5), (1, 0.5, 1.0), (2, 1.0, 2.0)]


def test_fewer_syllables_hold_several_notes():
    slots = assign_syllables([0.1, 0.1], notes(0.5, 0.5, 0.5, 0.5, 0.5))
    # notes 0,1,2 → syllable 0 (floor(j*2/5)); notes 3,4 → syllable 1
    assert [(s.syllable, s.start, s.end) for s in slots] == [(0, 0.0, 1.5), (1, 1.5, 2.5)]


def test_more_syllables_split_a_note_by_vowel_length():
    slots = assign_syllables([0.1, 0.3, 0.2, 0.2], notes(1.0, 1.0))
    assert [s.syllable for s in slots] == [0, 1, 2, 3]
    assert slots[0].end == pytest.approx(0.25) and slots[1].end == pytest.approx(1.0)
    assert slots[2].start == pytest.approx(1.0) and slots[3].end == pytest.approx(2.0)


@pytest.fixture(scope="module")
def chain() -> Audio:
    return vowel_chain(10, seed=3)


def test_sung_output_follows_the_melody_and_keeps_its_length(chain):
    melody = tune("Twinkle, Twinkle, Little Star").transposed(-12)
    result = WorldSpeechToSinging().convert(chain, melody=melody)
    assert abs(result.audio.duration - melody.duration) <= 0.02 * melody.duration
    rpa, rca = note_pitch_accuracy(result.audio, melody.notes)
    assert rpa >= 0.9 and rca >= rpa


def test_vibrato_rate_and_extent_are_measured_on_the_output():
    chain = vowel_chain(1, seed=3)  # one sustained vowel: no syllable rhythm to confuse the measurement
    melody = parse_note_text("57:2.5")
    options = WorldSTSOptions(
        vibrato_rate_hz=6.0, vibrato_extent_cents=50.0, fluctuation_cents=0.0, overshoot=0.0, preparation=0.0
    )
    output = WorldSpeechToSinging().convert(chain, melody=melody, options=options).audio
    track = f0(output, method="fast", hop_s=0.005)
    window = (track.times > 0.6) & (track.times < 2.3) & track.voiced
    cents = 1200 * np.log2(track.hz[window] / midi_to_hz(57))
    cents -= cents.mean()
    spectrum = np.abs(np.fft.rfft(cents * np.hanning(len(cents)), n=8192))
    rate = np.fft.rfftfreq(8192, 0.005)[np.argmax(spectrum)]
    extent = np.sqrt(2) * cents.std()
    assert rate == pytest.approx(6.0, abs=0.4)
    assert extent == pytest.approx(50.0, abs=15.0)
    flat = (
        WorldSpeechToSinging()
        .convert(
            chain, melody=melody, options=WorldSTSOptions(vibrato_extent_cents=0.0, fluctuation_cents=0.0)
        )
        .audio
    )
    flat_track = f0(flat, method="fast", hop_s=0.005)
    keep = (flat_track.times > 0.6) & (flat_track.times < 2.3) & flat_track.voiced
    assert np.std(1200 * np.log2(flat_track.hz[keep] / midi_to_hz(57))) < 12


def test_content_check_passes_the_conversion_and_fails_a_sine_at_the_notes():
    speech = load_audio(SPEECH_EXAMPLE)
    melody = tune("Ode to Joy (Beethoven)")
    sung = WorldSpeechToSinging().convert(speech, melody=melody).audio
    t = np.arange(int(melody.duration * sung.sr)) / sung.sr
    contour = melody.contour(hop_s=1 / sung.sr)
    hz = np.interp(t, contour.times, contour.hz)
    sine = Audio((0.3 * np.sin(2 * np.pi * np.cumsum(hz) / sung.sr)).astype(np.float32), sung.sr)
    assert note_pitch_accuracy(sine, melody.notes)[0] > 0.95  # the sine passes every pitch test …
    assert envelope_distance(speech, sung) < 0.5 * envelope_distance(speech, sine)  # … but not this one


def test_singing_to_speech_modes(chain):
    singing = WorldSpeechToSinging().convert(chain, melody=tune("Frère Jacques").transposed(-12)).audio
    nodur = WorldSingingToSpeech().convert(singing, options=WorldS2SOptions(mode="nodur")).audio
    dur = WorldSingingToSpeech().convert(singing, options=WorldS2SOptions(mode="dur")).audio
    assert abs(nodur.duration - singing.duration) < 0.05
    assert dur.duration < 0.9 * singing.duration
    hz = f0(nodur, method="fast").hz
    voiced = hz[hz > 0]
    assert 75 <= np.median(voiced) <= 280
    sung_hz = f0(singing, method="fast").hz
    assert np.median(voiced) < np.median(sung_hz[sung_hz > 0])


def test_bad_inputs_get_clear_errors(rng):
    noise = Audio(np.zeros(22050, np.float32), 22050)
    with pytest.raises(AudioInputError, match="No voiced speech"):
        WorldSpeechToSinging().convert(noise, melody=tune("Frère Jacques"))
    with pytest.raises(MelodyError, match="needs a target melody"):
        WorldSpeechToSinging().convert(load_audio(SPEECH_EXAMPLE))


def test_lyrics_give_the_syllables_and_bad_lyrics_fall_back_with_a_note():
    speech = load_audio(SPEECH_EXAMPLE)
    melody = tune("Twinkle, Twinkle, Little Star")
    text = "he turned sharply and faced gregson across the table"
    aligned = WorldSpeechToSinging().convert(speech, melody=melody, options=WorldSTSOptions(lyrics=text))
    assert "13 syllables from the lyrics" in aligned.notes[0]
    assert note_pitch_accuracy(aligned.audio, melody.notes)[0] >= 0.9
    fallback = WorldSpeechToSinging().convert(
        speech, melody=melody, options=WorldSTSOptions(lyrics="purple monkey")
    )
    assert "could not be aligned" in fallback.notes[0] and "found in the audio instead" in fallback.notes[0]


def test_a_rest_between_syllables_of_one_word_is_sung_through_at_the_last_pitch():
    """'greg-son' with a rest between its notes: the lyrics path holds 'greg' (E4) through the rest."""
    speech = load_audio(SPEECH_EXAMPLE)
    text = "he turned sharply and faced gregson across the table"  # "greg" is the 7th syllable of 13
    melody = parse_note_text(
        "tempo=120: C4/4 D4/4 C4/4 D4/4 C4/4 D4/4 E4/4 r/1 C4/4 D4/4 C4/4 D4/4 C4/4 D4/4"
    )
    rest = next(n for n in melody.notes if n.midi is None)
    sung = WorldSpeechToSinging().convert(speech, melody=melody, options=WorldSTSOptions(lyrics=text)).audio
    track = f0(sung, method="accurate")
    inside = (track.times > rest.onset + 0.1) & (track.times < rest.onset + 0.5)  # before the next onset
    assert (track.hz[inside] > 0).mean() > 0.9
    cents = 1200 * np.log2(np.median(track.hz[inside][track.hz[inside] > 0]) / midi_to_hz(64))
    assert abs(cents) < 50
    without_lyrics = WorldSpeechToSinging().convert(speech, melody=melody).audio  # no words known: a rest
    quiet = without_lyrics.samples[int((rest.onset + 0.1) * sung.sr) : int((rest.onset + 0.5) * sung.sr)]
    assert np.sqrt(np.mean(quiet**2)) < 0.01 * np.sqrt(np.mean(without_lyrics.samples**2))
