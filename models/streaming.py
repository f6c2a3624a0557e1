"""Audio that leaves a conversion before it ends: a listener set for the current context receives the
vocoded audio piece by piece while a mel-domain converter vocodes it.

The demo sets one (:func:`streaming_to`) around a conversion and plays the pieces as they come; nothing
else changes: the conversion still returns its whole, exactly level-matched output. A piece arrives at the
vocoder's rate with a *preview* gain, worked out before vocoding starts (for a level-matched output:
from the spectrogram's energy against the input's, see ``mel_converter.preview_gain``), so it may differ
from the final output's level by a fraction of a decibel; its waveform is the final output's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from models.features import Audio

#: outputs at most this long are not streamed: vocoding them takes well under a second
STREAM_AFTER_SECONDS = 4.0

AudioSink = Callable[[Audio], None]
_sink: ContextVar[AudioSink | None] = ContextVar("songbridge_audio_sink", default=None)


@contextmanager
def streaming_to(sink: AudioSink) -> Iterator[None]:
    """Within this block (and the threads started with a copy of its context), mel-domain converters send
    their vocoded audio to ``sink`` piece by piece, for outputs longer than ``STREAM_AFTER_SECONDS``."""
    token = _sink.set(sink)
    try:
        yield
    finally:
        _sink.reset(token)


def current_sink() -> AudioSink | None:
    return _sink.get()
