"""Every measure of one output, chosen by task and by which references the item has."""

from __future__ import annotations

import math

import numpy as np

from evaluation import metrics
from evaluation.benchmark.items import Item
from evaluation.dnsmos import dnsmos
from evaluation.intelligibility import PhoneRecognizer, intelligibility
from evaluation.speaker import cosine, speaker_embedding
from models.base import Task
from models.features import Audio
from models.forced_align import dictionary_phones
from models.melody import Melody

#: CSV columns of the measures, in the order of the tables
METRICS = (
    "lsd_icassp",
    "rca",
    "rpa",
    "rpa_notes",
    "rca_notes",
    "rpa_contour",
    "lsd_db",
    "mcd",
    "f0_rmse_cents",
    "vde",
    "aligned",
    "phone_score",
    "wer",
    "per",
    "speaker_sim",
    "dnsmos",
    "dnsmos_sig",
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


def score(
    *,
    task: Task,
    output: Audio,
    item: Item,
    phone_recognizer: PhoneRecognizer | None = None,
    given_melody: Melody | None = None,
) -> dict:
    """The measures of ``output`` for ``item`` (NaN where they do not apply).

    Against the true target when there is one: ``lsd_icassp``, ``lsd_db`` (both RMS-matched, over the
    target's length), ``mcd`` (DTW). Speech→singing pitch of the re-tracked output (accurate F0):
    ``rpa``/``rca`` against the **true singing's** F0 frame by frame (the papers' definition; NaN where
    no true singing exists), ``rpa_notes``/``rca_notes`` against the notes; ``f0_rmse_cents`` and
    ``vde`` against the true singing where there is one, else against the notes. With English text:
    forced alignment (``aligned`` 0/1, ``phone_score``), ``wer``, and, given a ``phone_recognizer``
    (models/ppg), ``per`` against :func:`known_phones`. Always: ``speaker_sim`` of output and input
    (Resemblyzer) and ``dnsmos``/``dnsmos_sig`` (DNSMOS P.835 OVRL/SIG, reference-free). Singing→speech:
    the intonation's range and declination (``f0_range_st``, ``f0_slope_st_s``; compare with the true
    speech's ceiling row). ``rpa_contour``: against the recorded contour a converter was given
    (``given_melody``, a melody read from a recording). What depends only on the item (the reference's
    mel-cepstra and F0, the input's embedding) is computed once per item.
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
    if task == Task.SPEECH_TO_SINGING:
        row.update(_pitch(output, item, reference, given_melody))
    if task == Task.SINGING_TO_SPEECH:
        tone = metrics.intonation(metrics.pitch_track(output))
        row.update(f0_range_st=tone.range_st, f0_slope_st_s=tone.slope_st_per_s)
    if item.text.strip() and item.language == "en":
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
    quality = dnsmos(output)
    row.update(dnsmos=quality.ovrl, dnsmos_sig=quality.sig)
    return row


def _pitch(output: Audio, item: Item, reference: Audio | None, given: Melody | None) -> dict:
    """Pitch columns of a speech→singing output: against the true singing (primary) and the notes."""
    track = metrics.pitch_track(output)
    row = {}
    if item.notes:
        by_notes = metrics.pitch_scores(estimate=track, notes=item.notes)
        row.update(rpa_notes=by_notes.rpa, rca_notes=by_notes.rca)
        row.update(f0_rmse_cents=by_notes.f0_rmse_cents, vde=by_notes.vde)
    if given is not None and given.follows_contour:  # the converter sang a recording's contour
        row["rpa_contour"] = metrics.given_contour_scores(estimate=track, melody=given).rpa
    if reference is not None:
        truth = item.singing_track()  # ``reference`` is the item's singing here
        if truth.voiced.any():
            by_truth = metrics.contour_scores(estimate=track, reference=truth)
            row.update(rpa=by_truth.rpa, rca=by_truth.rca)
            row.update(f0_rmse_cents=by_truth.f0_rmse_cents, vde=by_truth.vde)
    return row
