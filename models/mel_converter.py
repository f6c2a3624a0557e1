"""The one shape of a mel-domain conversion: a network predicts a spectrogram, a vocoder voices it.

The ICASSP 2020 encoder–decoder, AlignSTS, the singing → speech flow, the style VAE and the vocoder
check all run :func:`convert_with_vocoder`'s three timed stages; each supplies only its own parts: how
its spectrogram is predicted, which vocoder voices it, the rate it answers at, its notes and target F0.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from models import features
from models.base import Audio, ConversionResult, ProgressFn, StageTimer, analysed_result
from models.features import F0Track, FeatureSpec
from models.streaming import STREAM_AFTER_SECONDS, current_sink
from models.vocoders import Vocoder
from models.world import match_level


def level_matched(vocoded: Audio, source: Audio) -> Audio:
    """The vocoded audio at the input's RMS level: what a converter outputs unless it says otherwise."""
    return Audio(match_level(vocoded.samples, source.samples), vocoded.sr)


def preview_gain(spectrogram: np.ndarray, source: Audio, spec: FeatureSpec) -> float:
    """The gain :func:`level_matched` will apply, estimated before the whole output exists (for streamed
    pieces): the input's power over the power the spectrogram stands for (its magnitudes brought back to
    linear frequency, Parseval), as the vocoder reproduces its spectrogram's magnitudes. The final output
    uses the exact RMS match; ``python -m evaluation.tables.vocoders`` measures the difference."""

    def power(logspec: np.ndarray) -> float:
        linear = features.decompress(logspec, spec)
        if spec.n_mels is not None:
            inverse = features.mel_pseudo_inverse(
                spec.sample_rate, spec.n_fft, spec.n_mels, spec.fmin, spec.fmax
            )
            linear = np.maximum(inverse @ linear, 0)
        return float(np.mean(np.sum(np.square(linear, dtype=np.float64), axis=0))) if logspec.size else 0.0

    reference = power(features.spectrogram(features.to_rate(source, spec.sample_rate), spec))
    return float(np.sqrt(reference / max(power(spectrogram), 1e-20)))


def convert_with_vocoder(
    audio: Audio,
    *,
    predict: Callable[[], np.ndarray],
    vocoder: Callable[[], Vocoder],
    rate: int,
    progress: ProgressFn | None = None,
    target_f0: F0Track | None = None,
    notes: Sequence[str] = (),
    finish: Callable[[Audio, Audio], Audio] = level_matched,
    streamed_gain: Callable[[np.ndarray, Audio, FeatureSpec], float] = preview_gain,
    stages: tuple[str, str] = ("network", "vocoder"),
) -> ConversionResult:
    """Predict, vocode, plot — timed, with progress inside the vocoder stage.

    ``predict()`` gives the spectrogram the vocoder takes. ``vocoder()`` is called inside its stage, so
    loading HiFi-GAN the first time is timed there. The vocoded audio is brought to ``rate`` and
    ``finish(vocoded, input at rate)`` gives the output; the plots compare it with the input at ``rate``.
    ``stages`` names the first two stages in the timings the UI lists. When a listener is set
    (:mod:`models.streaming`) and the output is long, the vocoder's pieces go to it as they come, each
    scaled by ``streamed_gain(spectrogram, input at rate, vocoder spec)`` (what ``finish`` will do, known
    or estimated before vocoding).
    """
    predicting, vocoding = stages
    timer = StageTimer(progress, stages=3)
    with timer(predicting):
        spectrogram = predict()
    with timer(vocoding) as within:
        source = features.to_rate(audio, rate)
        voice = vocoder()
        vocoded = features.to_rate(_vocode(voice, spectrogram, within, source, streamed_gain), rate)
        output = finish(vocoded, source)
    with timer("plots"):
        result = analysed_result(source, output, target_f0=target_f0)
    result.timings = timer.timings
    result.notes += notes
    return result


def _vocode(voice: Vocoder, spectrogram: np.ndarray, progress, source: Audio, streamed_gain) -> Audio:
    """The vocoder's output; piece by piece to the streaming listener when there is one and it pays."""
    sink = current_sink()
    seconds = spectrogram.shape[-1] * voice.spec.hop_length / voice.spec.sample_rate
    if sink is None or not hasattr(voice, "stream") or seconds <= STREAM_AFTER_SECONDS:
        return voice.synthesize(spectrogram, progress=progress)
    gain, pieces = streamed_gain(spectrogram, source, voice.spec), []
    for piece in voice.stream(spectrogram, progress=progress):
        pieces.append(piece)
        sink(Audio(np.clip(piece * gain, -0.99, 0.99).astype(np.float32), voice.spec.sample_rate))
    return Audio(np.concatenate(pieces).astype(np.float32), voice.spec.sample_rate)
