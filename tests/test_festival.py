"""Festival speech (a Debian package .ci/run installs): the WORLD singer keeps the words it is given."""

import shutil

from evaluation.festival import SENTENCES, speak
from evaluation.metrics import note_pitch_accuracy
from models.dsp.world_sts import WorldSpeechToSinging, WorldSTSOptions
from models.forced_align import alignment_score
from models.melody import tune


def test_festival_is_installed():
    # Fail, never skip: the benchmark and these tests need it (apt-get install festival festvox-kallpc16k).
    assert shutil.which("text2wave"), "Festival is missing: apt-get install festival festvox-kallpc16k"


def test_festival_speech_sung_with_its_lyrics_follows_the_tune_and_still_aligns():
    sentence = SENTENCES[0]
    speech = speak(sentence)
    assert 1.5 < speech.duration < 6 and alignment_score(speech, sentence).success
    melody = tune("Twinkle, Twinkle, Little Star").transposed(-12)
    sung = WorldSpeechToSinging().convert(speech, melody=melody, options=WorldSTSOptions(lyrics=sentence))
    assert "from the lyrics" in sung.notes[0]
    assert note_pitch_accuracy(sung.audio, melody.notes)[0] >= 0.9
    assert alignment_score(sung.audio, sentence).success
