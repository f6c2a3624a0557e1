"""Where each piece of the speech goes in the sung output: the time map of WORLD speech → singing.

Singers hold their vowels but keep consonants at speaking speed, so:

- the consonants between two vowels are split at the quietest point between them (a pause or a stop
  closure) into the previous syllable's coda and the next one's onset; each keeps its spoken length
  up to ``consonant_cap_s`` and is copied at speed 1 (never time-compressed). Across a rest the coda
  closes the previous note and the onset leads into the next one, with silence between; without one
  they join into a cluster around the next note's beat, mostly before it as Festival's singing places
  them, within a share of both notes (shortened beyond it: fast passages);
- a rest between two syllables of one word (known from the lyrics) is sung through: the first vowel holds
  at its note's pitch until the consonants lead into the next note, as singers do rather than break a word;
- the last syllable's coda sounds before the melody ends (it shortens the last vowel if it must);
- a held vowel passes its edges at twice their spoken length and sweeps back and forth through its
  steadiest stretch (``TimeMap.vowel``) the rest of the note.

Measured on 20 corpus test pairs (pocketsphinx forced alignment of the lyrics, ``evaluation.tables.world_sts``):
compressing each consonant cluster into 0.15 s aligned 35 %; copying codas and onsets at speed 1 with
a 0.3 s cap each, 50 % (Festival's own singing of the same words: 55 %). Keeping each vowel's first
and last 40 ms at speaking speed and stretching only its middle was tried and dropped: 35 %; holding
the steadiest 30 ms instead (edges at 2×) took all 78 corpus pairs from 47 % to 72 % (lyrics) and
37 % to 62 % (text-free): results/world_sts/README.md.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from models.dsp.alignment import Slot
from models.dsp.syllables import Nucleus

Span = tuple[float, float]
MIN_VOWEL_S = 0.02  # a vowel keeps at least this much of its note after the consonants
#: a legato consonant cluster may take these shares of the previous vowel (before the beat) and of its
#: own note (after it): more costs those notes their pitch; less, shortening the consonants, costs
#: intelligibility (results/world_sts/README.md). Beyond them the consonants are shortened.
BEFORE_BEAT_SHARE, AFTER_BEAT_SHARE = 0.2, 0.3
#: a held vowel's transitions (into and out of its steady part) play at this many times their spoken length,
#: and the steady part is swept at this speed: slow enough to sound held, moving enough not to sound frozen
TRANSITION_STRETCH, STEADY_SPEED = 2.0, 0.5
JUMP_S = 1e-6  # two anchors this close make a cut in the source (a dropped pause)


@dataclass
class TimeMap:
    """Anchors (output seconds → speech seconds) and the output spans that are vowels, consonants, silent."""

    target: list[float] = field(default_factory=lambda: [0.0])
    source: list[float] = field(default_factory=lambda: [0.0])
    vowels: list[Span] = field(default_factory=list)
    consonants: list[Span] = field(default_factory=list)
    silent: list[Span] = field(default_factory=list)
    tied: list[Span] = field(default_factory=list)  # rests inside a word, sung through at the last pitch

    def copy_span(self, at: float, source: Span) -> float:
        """Copy ``source`` at speaking speed to start at output time ``at``; returns where it ends."""
        length = source[1] - source[0]
        if length <= 0:
            return at
        self.anchor(at, source[0])
        self.anchor(at + length, source[1])
        self.consonants.append((at, at + length))
        return at + length

    def silence(self, start: float, end: float) -> None:
        if end - start > 1e-4:
            self.silent.append((start, end))

    def vowel(self, start: float, end: float, vowel: Nucleus) -> None:
        """Hold ``vowel`` over ``[start, end]``.

        With a steady part (:func:`models.dsp.syllables.steadiest_windows`) and room for it, the vowel moves
        into it and out of it at ``TRANSITION_STRETCH`` × its spoken length and sweeps back and forth through
        it at ``STEADY_SPEED`` the rest of the time; otherwise it is stretched evenly.
        """
        source, steady = (vowel.start, vowel.end), vowel.steady
        if steady is None or end - start <= TRANSITION_STRETCH * vowel.duration:
            self.anchor(start, source[0])
            self.anchor(end, source[1])
            self.vowels.append((start, end))
            return
        core_end = end - TRANSITION_STRETCH * (source[1] - steady[1])
        t = start + TRANSITION_STRETCH * (steady[0] - source[0])
        self.anchor(start, source[0])
        self.anchor(t, steady[0])
        sweep = (steady[1] - steady[0]) / STEADY_SPEED
        forward = True
        while t + sweep < core_end:
            t += sweep
            self.anchor(t, steady[1] if forward else steady[0])
            forward = not forward
        self.anchor(core_end, steady[1])
        self.anchor(end, source[1])
        self.vowels.append((start, end))

    def anchor(self, t: float, s: float) -> None:
        """Map output time ``t`` to speech time ``s`` (nudged just after the last anchor if not later)."""
        if t <= self.target[-1]:  # same output instant as the last anchor: a cut in the source
            t = self.target[-1] + JUMP_S
        self.target.append(t)
        self.source.append(s)

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        return np.array(self.target), np.array(self.source)


def sung_time_map(
    nuclei: list[Nucleus],
    slots: list[Slot],
    *,
    splits: list[float],
    source_end: float,
    duration: float,
    consonant_cap_s: float,
) -> TimeMap:
    """The time map for syllable ``slots`` (one per nucleus, in order) of a ``duration``-second melody.

    ``splits[k]`` is the speech time (s) dividing the consonants before nucleus k into the previous
    syllable's coda and this one's onset (ignored for k = 0, which has no coda).
    """
    tm = TimeMap()
    previous_end, previous_vowel_end = 0.0, 0.0
    held: tuple[float, Nucleus] | None = None  # the last vowel's output start; its end waits for what follows
    for i, slot in enumerate(slots):
        nucleus = nuclei[slot.syllable]
        gap_start, gap_end = previous_vowel_end, max(previous_vowel_end, nucleus.start)
        split = gap_start if i == 0 else float(np.clip(splits[slot.syllable], gap_start, gap_end))
        coda = (gap_start, min(split, gap_start + consonant_cap_s))
        onset = (max(split, gap_end - consonant_cap_s), gap_end)
        coda_s, onset_s = coda[1] - coda[0], onset[1] - onset[0]
        previous_word = nuclei[slots[i - 1].syllable].word if i else None
        same_word = nucleus.word is not None and nucleus.word == previous_word
        rest_s = slot.start - previous_end
        if same_word and rest_s > 0 and rest_s >= coda_s + onset_s:  # a rest inside a word: sing through
            cluster_start = slot.start - coda_s - onset_s
            tm.vowel(held[0], cluster_start, held[1])
            tm.tied.append((previous_end, cluster_start))
            vowel_start = tm.copy_span(tm.copy_span(cluster_start, coda), onset)
        elif rest_s >= coda_s + onset_s:  # room in the rest: coda closes, onset leads in
            if held:
                tm.vowel(held[0], previous_end, held[1])
            end_of_coda = tm.copy_span(previous_end, coda)
            tm.silence(end_of_coda, slot.start - onset_s)
            vowel_start = tm.copy_span(slot.start - onset_s, onset)
        else:  # legato: one cluster around the beat, mostly before it; short notes shorten it
            before = 0.0 if held is None else BEFORE_BEAT_SHARE * (previous_end - held[0])
            after = AFTER_BEAT_SHARE * (slot.end - slot.start)
            room = max(0.0, slot.start - previous_end) + before + after
            scale = min(1.0, room / max(coda_s + onset_s, 1e-9))
            cluster_start = max(previous_end - before, slot.start - (coda_s + onset_s) * scale)
            coda = (coda[0], coda[0] + coda_s * scale)
            onset = (onset[1] - onset_s * scale, onset[1])
            if held:
                tm.vowel(held[0], min(previous_end, cluster_start), held[1])
            tm.silence(previous_end, cluster_start)
            vowel_start = tm.copy_span(tm.copy_span(cluster_start, coda), onset)
        held = (vowel_start, nucleus)
        previous_end, previous_vowel_end = slot.end, nucleus.end
    # The last coda sounds before the melody ends, shortening the last vowel if it must.
    tail_s = min(consonant_cap_s, source_end - previous_vowel_end, duration - held[0] - MIN_VOWEL_S)
    tail = (previous_vowel_end, previous_vowel_end + max(0.0, tail_s))
    vowel_end = min(previous_end, duration - (tail[1] - tail[0]))
    tm.vowel(held[0], vowel_end, held[1])
    end_of_tail = tm.copy_span(vowel_end, tail)
    tm.silence(end_of_tail, duration)
    tm.anchor(max(duration, end_of_tail), tail[1])
    return tm


def quietest_points(nuclei: list[Nucleus], loudness_db: np.ndarray, frame_s: float) -> list[float]:
    """For each nucleus, the time of the quietest frame between it and the previous vowel (its start for the first)."""
    points = [nuclei[0].start if nuclei else 0.0]
    for before, after in itertools.pairwise(nuclei):
        lo, hi = int(round(before.end / frame_s)), int(round(after.start / frame_s))
        if hi - lo < 2:
            points.append((before.end + after.start) / 2)
            continue
        points.append((lo + int(np.argmin(loudness_db[lo:hi]))) * frame_s)
    return points
