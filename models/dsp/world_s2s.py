"""WORLD singing → speech baselines of the generative-flow singing-to-speech paper.

WORLD-nodur replaces the sung F0 by speech-like intonation — a declining baseline per phrase with
accents on syllable nuclei, in a speaking range derived from the singer's own F0 — and keeps the
timing. WORLD-dur also shortens sustained vowels toward speech durations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models import features, world
from models.base import Audio, ConversionResult, ProgressFn, StageTimer, Task, analysed_result, option
from models.dsp.syllables import Nucleus, find_nuclei
from models.features import HIFIGAN_MEL
from models.world import FRAME_MS

MODES = ("nodur", "dur")
#: speech sits this many semitones under the singer's median sung F0 (then clamped to a speaking range)
SPEAKING_OFFSET_SEMITONES = -4.0
SPEAKING_RANGE_HZ = (75.0, 280.0)


@dataclass(frozen=True)
class WorldS2SOptions:
    mode: str = option(
        "nodur",
        "nodur keeps the sung timing; dur also shortens sustained vowels toward speech.",
        label="Durations",
        choices=MODES,
    )
    accent_semitones: float = option(
        3.0,
        "Height of the pitch accents on syllables.",
        label="Accent (semitones)",
        minimum=0,
        maximum=8,
        step=0.5,
    )
    declination_semitones: float = option(
        3.0,
        "Fall of the baseline over each phrase.",
        label="Declination (semitones)",
        minimum=0,
        maximum=8,
        step=0.5,
        advanced=True,
    )
    max_vowel_s: float = option(
        0.22,
        "In 'dur' mode, the longest a vowel may stay.",
        label="Longest vowel (s)",
        minimum=0.08,
        maximum=0.6,
        step=0.01,
        advanced=True,
    )


def speaking_base_hz(sung_f0: np.ndarray) -> float:
    voiced = sung_f0[sung_f0 > 0]
    median = float(np.median(voiced)) if len(voiced) else 120.0
    return float(np.clip(median * 2 ** (SPEAKING_OFFSET_SEMITONES / 12), *SPEAKING_RANGE_HZ))


def phrases(voiced: np.ndarray, min_pause_frames: int) -> list[tuple[int, int]]:
    """(start, end) frames of runs separated by unvoiced pauses of at least ``min_pause_frames``."""
    idx = np.flatnonzero(voiced)
    if len(idx) == 0:
        return []
    breaks = np.flatnonzero(np.diff(idx) > min_pause_frames)
    starts = [idx[0], *idx[breaks + 1]]
    ends = [*idx[breaks] + 1, idx[-1] + 1]
    return list(zip(starts, ends, strict=True))


def speech_f0(
    voiced: np.ndarray, nuclei: list[Nucleus], base_hz: float, *, accent: float, declination: float
) -> np.ndarray:
    """Declining baseline per phrase, a raised-cosine accent on each nucleus (the first strongest, the
    last one falling), all in semitones around ``base_hz``; 0 where unvoiced."""
    n = len(voiced)
    semis = np.zeros(n)
    frame_s = FRAME_MS / 1000
    t = np.arange(n) * frame_s
    for start, end in phrases(voiced, int(0.25 / frame_s)):
        span = max(end - start - 1, 1)
        semis[start:end] = declination * (0.5 - np.arange(end - start) / span)
        inside = [k for k in nuclei if start * frame_s <= k.peak < end * frame_s]
        for i, nucleus in enumerate(inside):
            height = accent * (1.0 if i == 0 else 0.45 if i % 2 else 0.2)
            if i == len(inside) - 1 and i > 0:
                height = -0.4 * accent
            bump = np.clip(1 - np.abs(t - nucleus.peak) / 0.12, 0, 1)
            semis += height * 0.5 * (1 - np.cos(np.pi * bump))
    return np.where(voiced, base_hz * 2 ** (semis / 12), 0.0)


def shortened_time_map(nuclei: list[Nucleus], source_end: float, max_vowel_s: float):
    """Anchors (target s, source s) that compress every vowel longer than ``max_vowel_s`` to about it."""
    target, source, t = [0.0], [0.0], 0.0
    for nucleus in nuclei:
        t += nucleus.start - source[-1]
        target.append(t)
        source.append(nucleus.start)
        d = nucleus.duration
        new = d if d <= max_vowel_s else max_vowel_s + 0.15 * (d - max_vowel_s)
        t += new
        target.append(t)
        source.append(nucleus.end)
    target.append(t + source_end - source[-1])
    source.append(source_end)
    return np.array(target), np.array(source)


class WorldSingingToSpeech:
    name = "world-s2s"
    task = Task.SINGING_TO_SPEECH
    needs_melody = False
    Options = WorldS2SOptions

    def convert(
        self,
        audio: Audio,
        *,
        melody=None,
        options: WorldS2SOptions | None = None,
        progress: ProgressFn | None = None,
    ) -> ConversionResult:
        options = options or WorldS2SOptions()
        timer = StageTimer(progress, stages=4)
        with timer("analysis") as within:  # the slowest stage
            source = features.to_rate(audio, HIFIGAN_MEL.sample_rate)
            params = world.analyse(source, progress=within)
            nuclei = find_nuclei(params)
        with timer("durations"):
            if options.mode == "dur":
                anchors_t, anchors_s = shortened_time_map(nuclei, source.duration, options.max_vowel_s)
                n_frames = int(round(anchors_t[-1] * 1000 / FRAME_MS))
                params = params.take(world.warp_indices(anchors_t, anchors_s, n_frames))
                nuclei = find_nuclei(params)
        with timer("intonation"):
            params.f0 = speech_f0(
                params.f0 > 0,
                nuclei,
                speaking_base_hz(params.f0),
                accent=options.accent_semitones,
                declination=options.declination_semitones,
            )
        with timer("WORLD synthesis"):
            spoken = world.synthesize(params)
            output = Audio(world.match_level(spoken.samples, source.samples), spoken.sr)
        with timer("plots"):
            result = analysed_result(source, output)
        result.timings = timer.timings
        return result
