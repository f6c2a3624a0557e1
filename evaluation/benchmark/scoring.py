"""Every measure of one output, chosen by task and by which references the item has."""

from __future__ import annotations

import math

import numpy as np

from evaluation import metrics
from evaluation.benchmark.items import Item
from evaluation.intelligibility import PhoneRecognizer, intelligibility
from evaluation.speaker import cosine, speaker_embedding
from models import features
from models.base import Task
from models.features import Audio
from models.forced_align import dictionary_phones

#: CSV columns of the measures, in the order of the tables
METRICS = (
    "lsd_icassp",
    "rca",
    "rpa",
    "lsd_db",
    "mcd",
    "f0_rmse_cents",
    "vde",
    "aligned",
    "phone_score",
    "wer",
    "per",
    "speaker_sim",
    "f0_range_st",
    "f0_slope_st_s",
)


def source_of(item: Item, task: Task) -> Audio | None:
    """What the converter gets: speech for speech→singing, singing for singing→speech."""
    return item.speech if task == Task.SPEECH_TO_SINGING else item.singing


def reference_of(item: Item, task: Task) -> Audio | None:
    """The true target, or None where the item has none (the real-voice set)."""
    if task == Task.SPEECH_TO_SINGING:
        return item.singing if item.singing_is_reference else None
    return item.speech if item.speech_is_reference else None


def known_phones(item: Item) -> list[str] | None:
    """The item's phones: its manifest's speech phones, else its text through the CMU dictionary."""
    if item.speech_phones:
        return item.speech_phones
    return item.cached("dictionary phones", lambda: dictionary_phones(item.text))


def score(*, task: Task, output: Audio, item: Item, phone_recognizer: PhoneRecognizer | None = None) -> dict:
    """The measures of ``output`` for ``item`` (NaN where they do not apply).

    Against the true target when there is one: ``lsd_icassp``, ``lsd_db``, ``mcd`` (DTW). Speech→singing:
    pitch of the re-tracked output (accurate F0) against the notes (``rpa``, ``rca``, ``f0_rmse_cents``,
    ``vde``). With the text: forced alignment (``aligned`` 0/1, ``phone_score``), ``wer``, and, given a
    ``phone_recognizer`` (models/ppg), ``per`` against :func:`known_phones`. Always: ``speaker_sim`` of
    output and input (Resemblyzer). Singing→speech: the intonation's range and declination
    (``f0_range_st``, ``f0_slope_st_s``; compare with the true speech's ceiling row). What depends
    only on the item (the reference's mel-cepstra, the input's embedding) is computed once per item.
    """
    row = dict.fromkeys(METRICS, math.nan)
    if len(output.samples) < output.sr // 20 or not np.any(output.samples):
        return row  # nothing to measure in an empty or silent output
    reference = reference_of(item, task)
    if reference is not None:
        row["lsd_icassp"] = metrics.lsd_icassp(reference, output)
        row["lsd_db"] = metrics.lsd_db(reference, output)
        reference_cepstra = item.cached(f"mcep {task.name}", lambda: metrics.mel_cepstrum(reference))
        row["mcd"] = metrics.mcd_from_cepstra(
            reference=reference_cepstra, estimate=metrics.mel_cepstrum(output)
        )
    if task == Task.SPEECH_TO_SINGING and item.notes:
        pitch = metrics.pitch_scores(estimate=features.f0(output, method="accurate"), notes=item.notes)
        row.update(rpa=pitch.rpa, rca=pitch.rca, f0_rmse_cents=pitch.f0_rmse_cents, vde=pitch.vde)
    if task == Task.SINGING_TO_SPEECH:
        tone = metrics.intonation(features.f0(output, method="accurate"))
        row.update(f0_range_st=tone.range_st, f0_slope_st_s=tone.slope_st_per_s)
    if item.text.strip():
        heard = intelligibility(
            audio=output,
            text=item.text,
            reference_phones=known_phones(item),
            phone_recognizer=phone_recognizer,
        )
        row.update(aligned=float(heard.aligned), phone_score=heard.phone_score, wer=heard.wer, per=heard.per)
    source = source_of(item, task)
    if source is not None:
        source_embedding = item.cached(f"speaker {task.name}", lambda: speaker_embedding(audio=source))
        row["speaker_sim"] = cosine(a=speaker_embedding(audio=output), b=source_embedding)
    return row
