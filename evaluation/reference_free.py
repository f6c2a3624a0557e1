"""Objective scores of a conversion's output that need no reference recording: what the demo's Compare
tab can show for any upload, where no true singing or true speech exists to measure against.

Each score is cheap. Measured on a 10 s clip on this project's 2-core CPU box: the F0 track 0.13 s, pitch
accuracy over five octave shifts 0.006 s, a speaker embedding 0.07 s, DNSMOS 0.3 s — all of them 0.5 s
(0.13 s without the two pretrained models), after a one-off load of about 1 s for those models. A
comparison of five converters adds a few seconds at most. The scores:

- ``pitch_accuracy`` (speech→singing, given a melody): raw pitch accuracy of the output against the melody
  it was given — the share of frames in the middle 15–85 % of each note where the output is voiced and
  within 50 cents (:func:`evaluation.metrics.pitch_scores`, mir_eval; a melody read from a recording and
  followed exactly is scored against its contour, :func:`evaluation.metrics.given_contour_scores`). The
  output is tracked with the **fast** method (WORLD DIO + StoneMask, within 50 cents on every test signal
  of ``python -m evaluation.f0_trackers``), not the benchmark's pYIN, which takes about 6 s per 10 s; so
  the figure can differ a little from the benchmark's "RPA vs notes". Converters may sing the melody whole
  octaves away to fit the voice (world-sts does by default): the best of −2…+2 octaves is scored, and
  ``melody_octave_shift`` says which (0 = as written). Higher is better.
- ``voiced_fraction``: the share of output frames with an F0 (fast tracker). Descriptive: singing is mostly
  voiced, speech less so.
- ``duration_ratio``: output length ÷ input length. Descriptive.
- ``f0_range_st``, ``declination_st_per_s`` (when ``speech_like``): how speech-like the output's intonation
  is (:func:`evaluation.metrics.intonation`): speech spans about 4–12 semitones and falls (declination < 0).
  Descriptive; compare with the input's.
- ``speaker_similarity``: cosine of the Resemblyzer embeddings of output and input
  (:mod:`evaluation.speaker`): does the output keep the input's voice? Higher is better. Singing and
  speech of one person score lower than two takes of the same speech, so compare converters with each
  other on one input, not with a fixed threshold.
- ``dnsmos_ovrl``: DNSMOS P.835 overall quality, 1–5 (:mod:`evaluation.dnsmos`). Higher is better; it was
  trained on noisy and enhanced *speech*: read it as "how clean does this sound".

The last two use pretrained models that ship in wheels listed in requirements-dev.txt (``resemblyzer``,
``speechmos``); where those are not installed the scores are left out and :func:`unavailable_scores` says
why.
"""

from __future__ import annotations

import importlib.util
import math
from dataclasses import dataclass

import numpy as np

from models import features
from models.features import Audio, F0Track
from models.melody import Melody

#: whole-octave shifts of the melody tried when scoring pitch (a converter may sing it in another octave)
OCTAVE_SHIFTS = (0, -1, 1, -2, 2)
TOLERANCE_CENTS = 50.0


@dataclass(frozen=True)
class ScoreInfo:
    """How to show a score: its name, the unit that follows its value, which way is better."""

    label: str
    unit: str
    better: str  # "higher", "lower" or "" (descriptive: no better direction)
    fmt: str = ".2f"

    @property
    def arrow(self) -> str:
        return {"higher": "↑", "lower": "↓"}.get(self.better, "–")


SCORES: dict[str, ScoreInfo] = {
    "pitch_accuracy": ScoreInfo(
        "pitch accuracy vs melody", "of note frames within 50 cents (fast F0 tracker)", "higher"
    ),
    "melody_octave_shift": ScoreInfo("melody sung", "octaves from where it is written", "", "+.0f"),
    "voiced_fraction": ScoreInfo("voiced frames", "of the output", ""),
    "duration_ratio": ScoreInfo("length", "× the input's", ""),
    "f0_range_st": ScoreInfo("F0 range", "semitones (speech ≈ 4–12)", "", ".1f"),
    "declination_st_per_s": ScoreInfo("F0 declination", "semitones/s (speech falls: < 0)", "", "+.2f"),
    "speaker_similarity": ScoreInfo(
        "speaker similarity to the input", "cosine of Resemblyzer embeddings", "higher"
    ),
    "dnsmos_ovrl": ScoreInfo("DNSMOS overall quality", "MOS 1–5 (trained on speech)", "higher"),
}

#: the scores that need a pretrained model, and the package that ships it
LEARNED = {"speaker_similarity": "resemblyzer", "dnsmos_ovrl": "speechmos"}


def unavailable_scores() -> dict[str, str]:
    """``{score: why}`` for each learned score whose package is not installed."""
    return {
        key: f"needs the {package} package (requirements-dev.txt)"
        for key, package in LEARNED.items()
        if importlib.util.find_spec(package) is None
    }


def describe(key: str, value: float) -> str:
    """One score as a sentence piece, e.g. ``pitch accuracy vs melody 0.91 of note frames … (↑)``."""
    info = SCORES[key]
    shown = "n/a" if value is None or not math.isfinite(value) else format(value, info.fmt)
    return f"{info.label} **{shown}** {info.unit} ({info.arrow})"


def output_track(audio: Audio) -> F0Track:
    """The F0 track every score here reads: the fast method (DIO + StoneMask) at the HiFi-GAN hop."""
    return features.f0(audio, method="fast")


def melody_pitch_accuracy(track: F0Track, melody: Melody) -> tuple[float, int]:
    """(raw pitch accuracy, octave shift) of ``track`` against ``melody``, the best over
    :data:`OCTAVE_SHIFTS` (ties go to the smaller shift): notes, or the recorded contour when the melody
    follows one. NaN and 0 when no frame can be counted."""
    from evaluation.metrics import given_contour_scores, pitch_scores

    best, best_shift = math.nan, 0
    for shift in OCTAVE_SHIFTS:
        target = melody.transposed(12 * shift)
        if target.follows_contour:
            scores = given_contour_scores(estimate=track, melody=target, tolerance_cents=TOLERANCE_CENTS)
        else:
            scores = pitch_scores(estimate=track, notes=target.notes, tolerance_cents=TOLERANCE_CENTS)
        if math.isfinite(scores.rpa) and not (scores.rpa <= best):  # `not <=` also takes the first over NaN
            best, best_shift = scores.rpa, shift
    return best, best_shift


def reference_free_scores(
    output: Audio,
    *,
    source: Audio | None = None,
    melody: Melody | None = None,
    speech_like: bool = False,
    learned: bool = True,
    source_embedding: np.ndarray | None = None,
) -> dict[str, float]:
    """The scores of ``output`` (see the module's docstring) that its arguments allow: pitch accuracy when
    a ``melody`` is given; duration ratio and speaker similarity when the ``source`` (the input) is;
    intonation when the output should be ``speech_like``; speaker similarity and DNSMOS only when
    ``learned`` and their packages are installed. ``source_embedding`` (from
    :func:`evaluation.speaker.speaker_embedding` of the source) saves embedding the input again for every
    output. NaN where a score cannot be counted (e.g. no voiced frame, no speech left after trimming)."""
    scores: dict[str, float] = {}
    track = output_track(output)
    if melody is not None:
        rpa, shift = melody_pitch_accuracy(track, melody)
        scores["pitch_accuracy"], scores["melody_octave_shift"] = rpa, float(shift)
    if speech_like:
        from evaluation.metrics import intonation

        shape = intonation(track)
        scores["f0_range_st"], scores["declination_st_per_s"] = shape.range_st, shape.slope_st_per_s
    if learned:
        missing = unavailable_scores()
        if source is not None and "speaker_similarity" not in missing:
            from evaluation.speaker import cosine, speaker_embedding

            if source_embedding is None:
                source_embedding = speaker_embedding(audio=source)
            scores["speaker_similarity"] = cosine(a=speaker_embedding(audio=output), b=source_embedding)
        if "dnsmos_ovrl" not in missing:
            from evaluation.dnsmos import dnsmos

            scores["dnsmos_ovrl"] = dnsmos(output).ovrl
    voiced = np.asarray(track.hz) > 0
    scores["voiced_fraction"] = float(voiced.mean()) if len(voiced) else math.nan
    if source is not None:
        scores["duration_ratio"] = output.duration / source.duration if source.duration > 0 else math.nan
    return scores
