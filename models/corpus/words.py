"""Words from a phone sequence: segmentation into CMU pronouncing-dictionary words.

NUS-48E annotates phones, not words, and ships no lyrics text, so the word boundaries (the ICASSP 2020
rule "runs of three or more words") and a manifest ``text`` have to be recovered from the phones.
We segment the phones into words of the CMU dictionary that pocketsphinx ships (stress digits dropped),
by dynamic programming over all segmentations, choosing the one of least total cost, a word's cost being
its unigram surprisal −ln P(word) in pocketsphinx's English language model (also in the wheel) plus a
constant per word. That prefers fewer and more frequent words: "light" over "lite", "away" over "a way".
Homophones make the text a best guess — it spells the right sounds (forced alignment only needs those),
not necessarily the singer's words.
"""

from __future__ import annotations

import functools
import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass

from models.corpus.phones import CMU_PHONES

#: added to every word's surprisal, so that a split into more words must buy a clearly likelier reading
WORD_PENALTY = 2.0
#: surprisal of a dictionary word the language model does not know (its rarest known word is about 22)
UNKNOWN_SURPRISAL = 25.0
#: dictionary entries kept: letters and apostrophes only (drops "a.", "mp3", "x-ray")
_WORD = re.compile(r"^[a-z']+$")


@dataclass(frozen=True)
class Word:
    """A dictionary word covering ``phones[start:end]`` of the segmented sequence."""

    text: str
    start: int
    end: int


def _model_dir() -> str:
    import pocketsphinx

    return os.path.join(pocketsphinx.get_model_path(), "en-us")


@functools.lru_cache(maxsize=1)
def pronunciations() -> dict[tuple[str, ...], tuple[str, ...]]:
    """Every pronunciation (CMU phones without stress) → the dictionary words spelled that way."""
    known = set(CMU_PHONES)
    table: dict[tuple[str, ...], list[str]] = {}
    with open(os.path.join(_model_dir(), "cmudict-en-us.dict"), encoding="utf-8") as handle:
        for line in handle:
            fields = line.split()
            if len(fields) < 2:
                continue
            word = fields[0].split("(")[0].lower()
            phones = tuple(p.rstrip("012") for p in fields[1:])
            if _WORD.match(word) and all(p in known for p in phones):
                words = table.setdefault(phones, [])
                if word not in words:
                    words.append(word)
    return {phones: tuple(words) for phones, words in table.items()}


@functools.lru_cache(maxsize=1)
def _language_model():
    import pocketsphinx

    config = pocketsphinx.Config(loglevel="FATAL")
    logmath = pocketsphinx.LogMath()
    path = os.path.join(_model_dir(), "en-us.lm.bin")
    return pocketsphinx.NGramModel(config, logmath, path), math.log(1.0001)  # LogMath's default base


@functools.lru_cache(maxsize=65536)
def surprisal(word: str) -> float:
    """−ln P(word) under the unigram part of pocketsphinx's English language model."""
    model, ln_base = _language_model()
    log_prob = model.prob([word]) * ln_base
    return UNKNOWN_SURPRISAL if log_prob < -UNKNOWN_SURPRISAL else -log_prob


@functools.lru_cache(maxsize=65536)
def _best_word(phones: tuple[str, ...]) -> tuple[str, float] | None:
    words = pronunciations().get(phones)
    if not words:
        return None
    return min(((w, surprisal(w)) for w in words), key=lambda item: (item[1], item[0]))


@functools.lru_cache(maxsize=1)
def _longest() -> int:
    return max(len(phones) for phones in pronunciations())


def segment_words(phones: Sequence[str]) -> list[Word] | None:
    """The least-cost split of ``phones`` (CMU, no silences) into dictionary words; None if there is none.

    best[i] is the least cost of ``phones[:i]``; each step tries every dictionary word ending at i. Ties
    go to the longer last word, so the result is deterministic.
    """
    phones = tuple(phones)
    n, longest = len(phones), _longest()
    best: list[tuple[float, int, str] | None] = [None] * (n + 1)
    best[0] = (0.0, 0, "")
    for end in range(1, n + 1):
        for start in range(max(0, end - longest), end):
            if best[start] is None:
                continue
            found = _best_word(phones[start:end])
            if found is None:
                continue
            cost = best[start][0] + found[1] + WORD_PENALTY
            if best[end] is None or cost < best[end][0] - 1e-9:
                best[end] = (cost, start, found[0])
    if n == 0 or best[n] is None:
        return None
    words: list[Word] = []
    end = n
    while end > 0:
        _, start, text = best[end]
        words.append(Word(text, start, end))
        end = start
    return words[::-1]
