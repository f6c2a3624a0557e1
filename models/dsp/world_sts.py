"""WORLD speech → singing, model-based after Saitou et al. (2007); works on any voice without training.

Syllable nuclei are found in the speech; each syllable is given its note(s); vowels are stretched to the
notes while consonants keep their length (up to a cap); F0 follows the notes with overshoot,
preparation, vibrato and fluctuation; a singer's formant is added near 3 kHz; WORLD resynthesizes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from models import features, world
from models.base import Audio, ConversionResult, ProgressFn, StageTimer, Task, analysed_result, option
from models.dsp.alignment import assign_syllables
from models.dsp.reference import (
    contour_f0,
    fit_octave,
    follow_loudness,
    formant_gain_db,
    guide_alignment,
    guide_indices,
    require_voice,
)
from models.dsp.sing_f0 import F0Style, singing_f0
from models.dsp.syllables import (
    Nucleus,
    find_nuclei,
    steadiest_windows,
    vowel_band_db,
    widen_short_vowels,
)
from models.dsp.time_map import quietest_points, sung_time_map
from models.features import HIFIGAN_MEL
from models.forced_align import VOWELS, AlignmentError, align
from models.melody import Melody, required
from models.world import FRAME_MS

SILENCE_GAIN = 1e-6  # envelope power factor for rests (-60 dB)
#: fewer syllables than this share of the melody's notes gets a warning (each holds several notes)
FEW_SYLLABLES = 0.5


GUIDE = "guide vocal"
MELODY_ONLY = "melody only"


@dataclass(frozen=True)
class WorldSTSOptions:
    reference_use: str = option(
        MELODY_ONLY,
        "With a reference recording: 'melody only' sings its pitch curve, syllables placed on its notes; "
        "'guide vocal' (the recording sings these very words) aligns your speech to it sound by sound and "
        "takes its timing too. Note melodies ignore this.",
        label="Use of the reference recording",
        choices=(MELODY_ONLY, GUIDE),
    )
    auto_octave: bool = option(
        True,
        "Move the melody by whole octaves into your voice's range (measured from the speech), keeping its "
        "key; untick to sing it exactly where it is written or recorded.",
        label="Octave to fit my voice",
    )
    lyrics: str = option(
        "",
        "Optional: the words spoken. With them, syllables come from forced alignment (pocketsphinx); "
        "without, from the audio alone.",
        label="Lyrics (optional)",
    )
    vibrato_extent_cents: float = option(
        35.0,
        "Vibrato depth, ± cents (note melodies; a recorded melody keeps its own).",
        label="Vibrato depth (cents)",
        minimum=0,
        maximum=100,
        step=1,
    )
    vibrato_rate_hz: float = option(
        5.5, "Vibrato speed.", label="Vibrato rate (Hz)", minimum=3, maximum=8, step=0.1
    )
    singers_formant_db: float = option(
        6.0,
        "Boost near 3 kHz that makes a voice carry like a trained singer's. With a guide vocal: as much "
        "as the guide has more than your voice there, up to this.",
        label="Singer's formant (dB)",
        minimum=0,
        maximum=12,
        step=0.5,
    )
    overshoot: float = option(
        1.0,
        "Pitch overshoot after each note change (Saitou 2007); 0 turns it off.",
        minimum=0,
        maximum=2,
        step=0.1,
        advanced=True,
    )
    preparation: float = option(
        1.0,
        "Pitch dip before each note change; 0 turns it off.",
        minimum=0,
        maximum=2,
        step=0.1,
        advanced=True,
    )
    vibrato_delay_s: float = option(
        0.25,
        "Vibrato starts this long into each note.",
        label="Vibrato delay (s)",
        minimum=0,
        maximum=1,
        step=0.05,
        advanced=True,
    )
    fluctuation_cents: float = option(
        6.0,
        "Slow random pitch drift (standard deviation, cents).",
        label="Fluctuation (cents)",
        minimum=0,
        maximum=30,
        step=1,
        advanced=True,
    )
    consonant_cap_s: float = option(
        0.3,
        "A syllable's leading and trailing consonants each keep their spoken length up to this.",
        label="Consonant cap (s)",
        minimum=0.03,
        maximum=0.4,
        step=0.01,
        advanced=True,
    )
    min_vowel_s: float = option(
        0.08,
        "A vowel shorter than this in the speech (a reduced 'the', 'to') is widened to it before it is held "
        "for its note, so the held sound is the vowel rather than its edges.",
        label="Shortest held vowel (s)",
        minimum=0,
        maximum=0.2,
        step=0.01,
        advanced=True,
    )
    guide_loudness: bool = option(
        True,
        "Guide vocal only: the singing swells and fades where the guide does (its loudness over time, "
        "smoothed over 30 ms); untick to keep your speech's own loudness.",
        label="Follow the guide's loudness",
        advanced=True,
    )
    expression_on_contour: bool = option(
        False,
        "A melody taken from a recording is sung with its own pitch curve as it is; tick to add this tab's "
        "vibrato, overshoot and preparation on top of it (note melodies always get them).",
        label="Add expression to a recorded melody",
        advanced=True,
    )
    steady_hold_ms: float = option(
        30.0,
        "A held vowel sweeps back and forth through its steadiest stretch of this length, passing its "
        "consonant-coloured edges at twice their spoken length; 0 stretches the whole vowel evenly.",
        label="Steady vowel core (ms)",
        minimum=0,
        maximum=80,
        step=5,
        advanced=True,
    )


def _spans_to_mask(spans, n_frames: int) -> np.ndarray:
    mask = np.zeros(n_frames, dtype=bool)
    frame_s = FRAME_MS / 1000
    for start, end in spans:
        mask[int(round(start / frame_s)) : int(round(end / frame_s))] = True
    return mask


class WorldSpeechToSinging:
    name = "world-sts"
    task = Task.SPEECH_TO_SINGING
    needs_melody = True
    Options = WorldSTSOptions

    def convert(
        self,
        audio: Audio,
        *,
        melody: Melody | None = None,
        options: WorldSTSOptions | None = None,
        progress: ProgressFn | None = None,
    ) -> ConversionResult:
        melody = required(melody)
        options = options or WorldSTSOptions()
        timer = StageTimer(progress, stages=5)
        notes: list[str] = []
        with timer("analysis") as within:  # the slowest stage
            source = features.to_rate(audio, HIFIGAN_MEL.sample_rate)
            params = world.analyse(source, progress=within)
            require_voice(params)
            if options.auto_octave:
                melody, moved = fit_octave(melody, params)
                notes += [moved] if moved else []
            loudness = vowel_band_db(params)
        guide = None
        if options.reference_use == GUIDE:
            guide, why = guide_alignment(source, melody)
            notes.append(why)
        n_frames = int(round(melody.duration * 1000 / FRAME_MS))
        with timer("alignment"):
            if guide is not None:
                warped, timing = params.take(guide_indices(guide, melody, n_frames)), None
                notes.append("Timing and pitch from the guide vocal.")
            else:
                nuclei, how = _syllables(source, params, options.lyrics)
                nuclei = widen_short_vowels(nuclei, options.min_vowel_s, source.duration)
                nuclei = steadiest_windows(nuclei, params, loudness, options.steady_hold_ms / 1000)
                slots = assign_syllables([n.duration for n in nuclei], melody.sung_notes)
                timing = sung_time_map(
                    nuclei,
                    slots,
                    splits=quietest_points(nuclei, loudness, FRAME_MS / 1000),
                    source_end=source.duration,
                    duration=melody.duration,
                    consonant_cap_s=options.consonant_cap_s,
                )
                warped = params.take(world.warp_indices(*timing.arrays(), n_frames))
                notes.append(how)
                if len(nuclei) < FEW_SYLLABLES * len(melody.sung_notes):
                    notes.append(
                        f"Only {_count(len(nuclei), 'syllable')} for {_count(len(melody.sung_notes), 'note')}: "
                        "most notes hold one long vowel, so the words will be hard to follow. A clearer or "
                        "longer recording, typed lyrics, or a shorter melody gives each note its own syllable."
                    )
        with timer("F0 and envelope"):
            style = F0Style(
                options.overshoot,
                options.preparation,
                options.vibrato_rate_hz,
                options.vibrato_extent_cents,
                options.vibrato_delay_s,
                options.fluctuation_cents,
            )
            tied = timing.tied if timing is not None else []
            target_hz = _target_f0(melody, tied, n_frames, style, options.expression_on_contour)
            source_voiced = warped.f0 > 0
            if (
                timing is None
            ):  # the guide's own voicing: voiced where it sings, the speech's sounds elsewhere
                vowel = target_hz > 0
                silent = np.zeros(n_frames, dtype=bool)
                warped.f0 = target_hz.copy()
            else:
                vowel = _spans_to_mask(timing.vowels, n_frames) & (target_hz > 0)
                consonant = _spans_to_mask(timing.consonants, n_frames)
                # Silent: gaps between syllables, and rests inside a held vowel; consonants sound even in a rest.
                silent = _spans_to_mask(timing.silent, n_frames) | ((target_hz == 0) & ~consonant)
                warped.f0 = np.where(vowel | source_voiced, _hold_nonzero(target_hz), 0.0)
            # a held vowel frame WORLD called unvoiced: make it periodic. The guide path does so wherever the
            # guide is voiced, speech consonants mapped there included: keeping the speech's noise where it
            # is noise-like (low-band aperiodicity ≥ 0.6) cost LSD 9.36 → 10.09 and RCA 0.866 → 0.740 on the
            # PJS valid split, and forced alignment stayed 13/13 on the real voices either way
            forced = vowel & ~source_voiced
            warped.ap[forced] = np.minimum(warped.ap[forced], 0.05)
            formant_db = options.singers_formant_db
            if guide is not None:  # as much as the guide has more than the speech, up to the slider
                formant_db = formant_gain_db(source, melody.recording, options.singers_formant_db)
            warped.sp = world.boost_band(
                warped.sp,
                warped.sr,
                centre_hz=3000.0,
                width_hz=450.0,
                gain_db=formant_db,
                frames=vowel,
            )
            warped.sp[silent] *= SILENCE_GAIN
            warped.f0[silent] = 0.0
        with timer("WORLD synthesis"):
            sung = world.synthesize(warped)
            samples = np.zeros(int(round(melody.duration * sung.sr)), np.float32)
            samples[: min(len(samples), len(sung.samples))] = sung.samples[: len(samples)]
            if guide is not None and options.guide_loudness:
                samples = follow_loudness(samples, sung.sr, melody)
            output = Audio(world.match_level(samples, source.samples), sung.sr)
        with timer("plots"):
            result = analysed_result(source, output, target_f0=melody.contour())
        result.timings = timer.timings
        sung = "its recorded pitch curve" if melody.follows_contour else "its notes"
        result.notes.append(
            f"{' '.join(notes)} The melody has {_count(len(melody.sung_notes), 'note')}; sung: {sung}."
        )
        return result


def _syllables(source: Audio, params: world.WorldParams, lyrics: str) -> tuple[list[Nucleus], str]:
    """Vowels from forced alignment of the lyrics when given and alignable; else from the audio alone."""
    if lyrics.strip():
        try:
            vowels = [
                Nucleus(p.start, p.end, (p.start + p.end) / 2, p.word)
                for p in align(source, lyrics)
                if p.label in VOWELS
            ]
            if vowels:
                return vowels, f"{_count(len(vowels), 'syllable')} from the lyrics (forced alignment)."
            raise AlignmentError("The lyrics hold no vowel to sing.")
        except AlignmentError as error:
            nuclei = find_nuclei(params)
            return (
                nuclei,
                f"{error} Sung without them: {_count(len(nuclei), 'syllable')} found in the audio instead.",
            )
    nuclei = find_nuclei(params)
    return nuclei, f"{_count(len(nuclei), 'syllable')} found in the speech."


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _sung_through(melody: Melody, tied: list[tuple[float, float]]) -> Melody:
    """The melody with each note before a tied rest (a rest inside a word) lasting until the tie's end,
    so the held vowel keeps that note's pitch and vibrato through it."""
    notes = list(melody.notes)
    for start, end in tied:
        k = next((i for i, n in enumerate(notes) if n.midi is not None and abs(n.end - start) < 1e-6), None)
        if k is not None:
            notes[k] = replace(notes[k], duration=end - notes[k].onset)
    return replace(melody, notes=tuple(notes))


def _target_f0(melody: Melody, tied, n_frames: int, style: F0Style, expression: bool) -> np.ndarray:
    """The sung F0 per WORLD frame: a recorded contour as it is (``expression`` adds this tab's vibrato,
    overshoot and preparation on top), else the notes with that expression."""
    frame_s = FRAME_MS / 1000
    if not melody.follows_contour:
        return singing_f0(_sung_through(melody, tied), n_frames, frame_s, style)
    ratio = None
    if expression:
        notes = melody.as_notes()
        flat = replace(style, overshoot=0.0, preparation=0.0, vibrato_extent_cents=0.0, fluctuation_cents=0.0)
        styled, plain = (
            singing_f0(notes, n_frames, frame_s, style),
            singing_f0(notes, n_frames, frame_s, flat),
        )
        ratio = np.where((styled > 0) & (plain > 0), styled / np.maximum(plain, 1e-9), 1.0)
    return contour_f0(melody, tied, n_frames, ratio)


def _hold_nonzero(hz: np.ndarray) -> np.ndarray:
    """Fill zeros with the nearest following (else preceding) non-zero value.

    Consonants sung in a rest before a note take that note's pitch.
    """
    idx = np.flatnonzero(hz > 0)
    if len(idx) == 0:
        return hz
    nearest = idx[np.clip(np.searchsorted(idx, np.arange(len(hz))), 0, len(idx) - 1)]
    return hz[nearest]
