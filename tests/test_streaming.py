"""Streamed audio: a long mel-domain conversion sends its vocoded pieces to the listener as they come; the
pieces are the final output's waveform (level estimated for level-matched outputs); short outputs and
conversions without a listener are untouched."""

import numpy as np
import pytest

from evaluation.metrics import lsd_icassp
from models import features, vocoders
from models.features import Audio, load_audio
from models.mel_converter import convert_with_vocoder
from models.resynthesis import VocoderCheck
from models.streaming import STREAM_AFTER_SECONDS, streaming_to
from tests.conftest import SPEECH_EXAMPLE


@pytest.fixture(scope="module")
def long_speech() -> Audio:
    speech = load_audio(SPEECH_EXAMPLE, sr=22050)
    return Audio(np.tile(speech.samples, 3), speech.sr)  # about 9 s


def _listen(convert):
    pieces: list[Audio] = []
    with streaming_to(pieces.append):
        result = convert()
    return pieces, result


def test_the_vocoder_check_streams_its_output_piece_by_piece(long_speech):
    pieces, result = _listen(lambda: VocoderCheck().convert(long_speech))
    assert len(pieces) >= 3 and {p.sr for p in pieces} == {22050}
    assert len(pieces[0].samples) == 86 * 256  # a 1 s first piece, so playback starts early
    joined = np.concatenate([p.samples for p in pieces])
    assert joined.shape == result.audio.samples.shape
    assert np.max(np.abs(joined - result.audio.samples)) < 1e-3  # its own level: the same samples


def test_a_level_matched_output_streams_at_an_estimated_level(long_speech):
    def convert():
        return convert_with_vocoder(
            long_speech, predict=lambda: features.log_mel(long_speech), vocoder=vocoders.hifigan, rate=16000
        )

    pieces, result = _listen(convert)
    streamed = Audio(np.concatenate([p.samples for p in pieces]), 22050)
    assert lsd_icassp(result.audio, streamed) < 0.05  # the same audio …
    final = features.to_rate(result.audio, 22050).samples
    n = min(len(final), len(streamed.samples))
    level_db = 20 * np.log10(np.std(streamed.samples[:n]) / np.std(final[:n]))
    assert abs(level_db) < 3  # … at nearly the same level


def test_short_outputs_and_unheard_conversions_do_not_stream(long_speech):
    short = Audio(long_speech.samples[: int(STREAM_AFTER_SECONDS * 22050) - 512], 22050)
    pieces, _ = _listen(lambda: VocoderCheck().convert(short))
    assert pieces == []
    plain = VocoderCheck().convert(long_speech)  # no listener: the one-shot path
    pieces, streamed = _listen(lambda: VocoderCheck().convert(long_speech))
    assert pieces and np.array_equal(plain.audio.samples, streamed.audio.samples)


def test_griffin_lim_cannot_stream_and_does_not(long_speech):
    pieces, result = _listen(
        lambda: VocoderCheck().convert(long_speech, options=VocoderCheck.Options(vocoder="griffinlim"))
    )
    assert pieces == [] and result.audio.duration > STREAM_AFTER_SECONDS
