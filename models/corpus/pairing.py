"""Read/sung segment pairing for corpora annotated with phones only (NUS-48E).

The ICASSP 2020 recipe cut "runs of three or more words between silences" from both the sung and the
read recording of a song. Here a segment is the stretch between two silences that exist on *both*
sides at the same place of the lyrics, with identical content phones (silences excluded) after the fixed
mapping to CMU-39 + SIL, and at least three dictionary words (:mod:`models.corpus.words`).

Why "silences on both sides": a cut inside continuous speech or singing leaves a clipped phone at the
edge, so every cut point is a pause in both recordings. A singer breathes where the reader does not
(and the other way round), so a segment may hold a pause on one side only; it stays in that side's
phones as SIL. Where the two phone sequences differ (a word sung but not read, another pronunciation
annotated), the pieces around the difference are still found: the sequences are aligned with
difflib's longest-matching-blocks algorithm, cut points are proposed only inside matching blocks, and
every candidate is then compared phone for phone, so the alignment can only propose, never decide.
"""

from __future__ import annotations

import difflib
import functools
import itertools
from dataclasses import dataclass

from models.corpus.phones import SILENCE
from models.corpus.words import segment_words

MIN_WORDS = 3
DIFFER = "read and sung phones differ"
NOT_WORDS = "phones are not a sequence of CMU dictionary words"
TOO_SHORT = f"fewer than {MIN_WORDS} words"

Span = tuple[float, float, str]


@dataclass(frozen=True)
class Side:
    """One recording's phones, with silences merged, seen as a content-phone sequence."""

    spans: list[Span]

    @functools.cached_property
    def content(self) -> list[int]:
        """Index in ``spans`` of each content (non-silence) phone."""
        return [i for i, (_, _, phone) in enumerate(self.spans) if phone != SILENCE]

    def phones(self) -> list[str]:
        return [self.spans[i][2] for i in self.content]

    def boundaries(self) -> set[int]:
        """Content positions k with a silence (or the file's edge) between phone k − 1 and phone k."""
        content = self.content
        inner = {k for k in range(1, len(content)) if content[k] - content[k - 1] > 1}
        return {0, len(content), *inner}

    def cut(self, first: int, last: int, margin_s: float, duration_s: float) -> tuple[float, float]:
        """Start and end (s) of content phones first..last, widened by up to ``margin_s`` of silence."""
        content = self.content
        i0, i1 = content[first], content[last]
        start, end = self.spans[i0][0], self.spans[i1][1]
        if i0 > 0 and self.spans[i0 - 1][2] == SILENCE:
            start = max(start - margin_s, self.spans[i0 - 1][0], 0.0)
        if i1 + 1 < len(self.spans) and self.spans[i1 + 1][2] == SILENCE:
            end = min(end + margin_s, self.spans[i1 + 1][1], duration_s)
        return start, end

    def retimed(self, start: float, end: float) -> list[Span]:
        """The phones inside [start, end], clipped to it and shifted to start at 0."""
        spans = []
        for a, b, phone in self.spans:
            a, b = max(a, start), min(b, end)
            if b - a > 1e-6:
                spans.append((round(a - start, 5), round(b - start, 5), phone))
        return spans


@dataclass(frozen=True)
class Segment:
    """A matched segment: content positions [sung_from, sung_to) and [read_from, read_to), and its words."""

    sung_from: int
    sung_to: int
    read_from: int
    read_to: int
    words: tuple[str, ...]


def common_cuts(sung: Side, read: Side) -> list[tuple[int, int]]:
    """Cut points (sung position, read position), increasing in both, where both recordings pause.

    The file edges count as pauses, but (0, 0) is a cut only when the two begin alike: if the singer
    sings a line the reader skipped, the first cut comes after it.
    """
    s_bounds, r_bounds = sung.boundaries(), read.boundaries()
    cuts: list[tuple[int, int]] = []
    matcher = difflib.SequenceMatcher(None, sung.phones(), read.phones(), autojunk=False)
    for s0, r0, size in matcher.get_matching_blocks():
        for k in range(size + 1):
            p, q = s0 + k, r0 + k
            if p in s_bounds and q in r_bounds and (not cuts or (p > cuts[-1][0] and q > cuts[-1][1])):
                cuts.append((p, q))
    return cuts


def pair_segments(sung: Side, read: Side) -> tuple[list[Segment], dict[str, int]]:
    """Matched segments in order, and the count of dropped candidates by reason.

    Candidates are the stretches between consecutive cuts, plus whatever lies before the first cut or
    after the last one on either side (content of one recording only: dropped as differing).
    """
    s_phones, r_phones = sung.phones(), read.phones()
    cuts = common_cuts(sung, read)
    edges = [(0, 0), *cuts, (len(s_phones), len(r_phones))]
    segments, dropped = [], {}
    for (p0, q0), (p1, q1) in itertools.pairwise(edges):
        phones = s_phones[p0:p1]
        if p1 == p0 and q1 == q0:
            continue
        if phones != r_phones[q0:q1] or (p0, q0) not in cuts or (p1, q1) not in cuts:
            reason = DIFFER
        else:
            words = segment_words(phones)
            if words is None:
                reason = NOT_WORDS
            elif len(words) < MIN_WORDS:
                reason = TOO_SHORT
            else:
                segments.append(Segment(p0, p1, q0, q1, tuple(w.text for w in words)))
                continue
        dropped[reason] = dropped.get(reason, 0) + 1
    return segments, dropped
