import math
import os

import numpy as np
import pytest

from evaluation.festival import speak
from evaluation.intelligibility import edit_distance, intelligibility, phone_error_rate, word_error_rate
from evaluation.speaker import speaker_similarity
from models.features import Audio, load_audio
from tests.conftest import ROOT

SLT = os.path.join(ROOT, "examples", "speech_arctic_slt_a0009.wav")  # female
AWB = os.path.join(ROOT, "examples", "speech_arctic_awb_a0007.wav")  # male
SLT_TEXT = "he turned sharply and faced gregson across the table"


def halves(audio: Audio) -> tuple[Audio, Audio]:
    middle = len(audio.samples) // 2
    return Audio(audio.samples[:middle], audio.sr), Audio(audio.samples[middle:], audio.sr)


def test_speaker_similarity_is_higher_for_the_same_speaker():
    """Measured: slt half vs half 0.81, slt vs awb 0.46; Festival vs Festival 0.88, vs slt 0.53, vs awb 0.73."""
    slt, awb = load_audio(SLT), load_audio(AWB)
    first, second = halves(slt)
    same = speaker_similarity(a=first, b=second)
    assert same > speaker_similarity(a=slt, b=awb) + 0.2
    festival_a = speak("the old clock in the hall has stopped at seven")
    festival_b = speak("we walked along the river until the evening bells")
    festival_same = speaker_similarity(a=festival_a, b=festival_b)
    assert festival_same > speaker_similarity(a=festival_a, b=awb) + 0.05


def test_speaker_similarity_of_a_pure_tone_is_nan():
    t = np.arange(22050) / 22050
    tone = Audio((0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 22050)
    assert math.isnan(speaker_similarity(a=tone, b=load_audio(SLT)))


def test_error_rates_hand_computed():
    assert edit_distance(reference="kitten", hypothesis="sitting") == 3
    assert word_error_rate(reference="the cat sat", hypothesis="the cat sat") == 0.0
    assert word_error_rate(reference="the cat sat down", hypothesis="a cat sat") == pytest.approx(2 / 4)
    assert word_error_rate(reference="The cat, sat!", hypothesis="the cat sat on it") == pytest.approx(2 / 3)
    assert phone_error_rate(reference=["SIL", "K", "AE", "T"], hypothesis=["K", "AH", "T", "SIL"]) == 1 / 3
    assert math.isnan(word_error_rate(reference="", hypothesis="words"))


class FakePhones:
    def recognize_phones(self, audio: Audio) -> list[str]:
        return ["HH", "IY"]


def test_intelligibility_of_clear_speech_and_of_wrong_words():
    slt = load_audio(SLT)
    right = intelligibility(audio=slt, text=SLT_TEXT)
    assert right.aligned and right.wer <= 0.2 and right.phone_score > -20
    assert math.isnan(right.per)
    wrong = intelligibility(
        audio=slt,
        text="purple monkeys eat seven bananas quickly",
        reference_phones=["HH", "IY", "T"],
        phone_recognizer=FakePhones(),
    )
    assert not wrong.aligned and wrong.wer >= 0.8
    assert wrong.per == pytest.approx(1 / 3)


def test_what_the_recognizer_hears_does_not_depend_on_what_it_heard_before():
    """Sung speech is fragile for pocketsphinx; its live CMN used to carry over from the previous call."""
    from evaluation.intelligibility import recognize
    from models.dsp.world_sts import WorldSpeechToSinging
    from models.melody import tune

    speech = load_audio(os.path.join(ROOT, "examples", "speech_arctic_slt_a0009.wav"))
    sung = WorldSpeechToSinging().convert(speech, melody=tune("Twinkle, Twinkle, Little Star")).audio
    noise = Audio((np.random.default_rng(0).standard_normal(32000) * 0.3).astype(np.float32), 16000)
    first = recognize(sung)
    recognize(noise)
    assert (
        recognize(sung) == first
    )  # before the reset: "… the man mall" after the noise, "… the hand mall" before
