import pytest

from models.features import load_audio
from models.forced_align import VOWELS, AlignmentError, align, alignment_score, normalize_words
from tests.conftest import SPEECH_EXAMPLE

TEXT = "He turned sharply, and faced Gregson across the table."


@pytest.fixture(scope="module")
def speech():
    return load_audio(SPEECH_EXAMPLE)


def test_normalize_words():
    assert normalize_words("He's 3 feet—away!") == ["he's", "feet", "away"]


def test_aligns_the_right_words_in_order_inside_the_clip(speech):
    phones = align(speech, TEXT)
    assert [p.label for p in phones][:3] == ["HH", "IY", "T"]
    assert (
        sum(p.label in VOWELS for p in phones) == 13
    )  # he-turned-sharp-ly-and-faced-greg-son-a-cross-the-ta-ble
    starts = [p.start for p in phones]
    assert starts == sorted(starts) and 0 <= starts[0] and phones[-1].end <= speech.duration + 0.02
    # each phone knows its word: "gregson" (the sixth word) is G R EH G S AH N
    assert sorted({p.word for p in phones}) == list(range(len(TEXT.split())))
    assert [p.label for p in phones if p.word == 5] == ["G", "R", "EH", "G", "S", "AH", "N"]


def test_unknown_words_are_named(speech):
    with pytest.raises(AlignmentError, match="does not know: xyzzyq"):
        align(speech, "he turned xyzzyq")


def test_wrong_words_do_not_count_as_success(speech):
    assert alignment_score(speech, TEXT).success
    wrong = alignment_score(speech, "and you always want to see it in the superlative degree")
    assert not wrong.success
    with pytest.raises(AlignmentError, match="could not be aligned"):
        align(speech, "purple monkey dishwasher")


def test_an_alignment_does_not_depend_on_what_was_aligned_before():
    # The decoder is reused; pocketsphinx's live cepstral mean must not carry over between calls.
    # These two telephone-band clips of the real-voice set changed each other's alignment when it did.
    from models.corpus.manifest import audio_path, read_manifest

    root = "evaluation/real_voice"
    clips = {p.id: (load_audio(audio_path(root, p.speech_wav)), p.text) for p in read_manifest(root)}
    first = align(*clips["pyannote-sheila-01"])
    align(*clips["pyannote-diane-01"])
    assert align(*clips["pyannote-sheila-01"]) == first
