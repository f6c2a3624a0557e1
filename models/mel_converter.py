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
from models.features import F0Track
from models.vocoders import Vocoder
from models.world import match_level


def level_matched(vocoded: Audio, source: Audio) -> Audio:
    """The vocoded audio at the input's RMS level: what a converter outputs unless it says otherwise."""
    return Audio(match_level(vocoded.samples, source.samples), vocoded.sr)


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
    stages: tuple[str, str] = ("network", "vocoder"),
) -> ConversionResult:
    """Predict, vocode, plot — timed, with progress inside the vocoder stage.

    ``predict()`` gives the spectrogram the vocoder takes. ``vocoder()`` is called inside its stage, so
    loading HiFi-GAN the first time is timed there. The vocoded audio is brought to ``rate`` and
    ``finish(vocoded, input at rate)`` gives the output; the plots compare it with the input at ``rate``.
    ``stages`` names the first two stages in the timings the UI lists.
    """
    predicting, vocoding = stages
    timer = StageTimer(progress, stages=3)
    with timer(predicting):
        spectrogram = predict()
    with timer(vocoding) as within:
        vocoded = features.to_rate(vocoder().synthesize(spectrogram, progress=within), rate)
        source = features.to_rate(audio, rate)
        output = finish(vocoded, source)
    with timer("plots"):
        result = analysed_result(source, output, target_f0=target_f0)
    result.timings = timer.timings
    result.notes += notes
    return result
