"""A bank of lyric lines made by a small grammar over a word list written for this project.

The bank is fixed (its own seed), so a line's split never depends on the corpus seed: every line has
one split, and lines of valid and test never appear in train. Words are plain, common English that
Festival's lexicon and the pocketsphinx dictionary both know.
"""

from __future__ import annotations

import functools
import hashlib

import numpy as np

BANK_SIZE = 2400
_BANK_SEED = 20200504  # ICASSP 2020 week; any fixed number works

WORDS: dict = {
    "det": "the a my your our their this that every one",
    "adj": (
        "golden quiet little silver gentle bright lonely distant empty open broken tender "
        "morning evening summer winter early hidden wild green blue cold warm old young sweet"
    ),
    "noun": (
        "river mountain garden window letter candle city harbor meadow forest station "
        "highway ocean lantern pillow mirror shadow morning evening season village bridge "
        "flower feather heart voice story dream song road fire rain night star moon sky"
    ),
    "plural": (
        "rivers mountains gardens windows letters candles stars shadows flowers feathers "
        "voices stories dreams songs roads fires birds children lovers sailors bells trees"
    ),
    "verb_past": (
        "carried followed painted whispered gathered opened wandered remembered answered "
        "covered borrowed wanted found kept left held lost knew saw heard"
    ),
    "verb_intr_past": "waited danced listened wandered trembled vanished stayed slept sang ran fell cried",
    "verb_ing": "falling shining burning singing waiting calling turning rising moving dancing",
    "prep": "through across beyond beneath above along under over into behind",
    "pron": "i we you they she he",
    "adv": "softly slowly gently quietly always never again tonight together forever",
}
WORDS = {kind: text.split() for kind, text in WORDS.items()}  # written as text, used as lists

#: sentence shapes; each symbol is a WORDS key or a literal word in quotes
TEMPLATES = (
    ("det", "noun", "verb_intr_past"),
    ("det", "adj", "noun", "verb_intr_past", "adv"),
    ("pron", "verb_past", "det", "adj", "noun"),
    ("pron", "verb_past", "det", "noun", "prep", "det", "noun"),
    ("det", "adj", "plural", "'are'", "verb_ing", "prep", "det", "noun"),
    ("pron", "verb_intr_past", "prep", "det", "adj", "noun", "adv"),
    ("'when'", "det", "noun", "'is'", "verb_ing", "pron", "verb_intr_past", "adv"),
    ("det", "noun", "'of'", "det", "adj", "noun", "'is'", "verb_ing", "prep", "det", "noun"),
    ("pron", "'will'", "'be'", "verb_ing", "prep", "det", "adj", "noun", "adv"),
    ("adj", "plural", "verb_intr_past", "prep", "det", "noun"),
    ("pron", "verb_past", "det", "plural", "'and'", "det", "adj", "noun"),
    ("det", "adj", "noun", "'and'", "det", "adj", "noun", "verb_intr_past", "prep", "det", "noun", "adv"),
)


def _line(template: tuple[str, ...], rng: np.random.Generator) -> str:
    words = []
    for symbol in template:
        words.append(
            symbol.strip("'") if symbol.startswith("'") else WORDS[symbol][rng.integers(len(WORDS[symbol]))]
        )
    return " ".join(words)


@functools.lru_cache(maxsize=1)
def bank() -> tuple[str, ...]:
    """``BANK_SIZE`` distinct lines of 3–12 words, always the same."""
    rng = np.random.default_rng(_BANK_SEED)
    lines: dict[str, None] = {}
    while len(lines) < BANK_SIZE:
        line = _line(TEMPLATES[rng.integers(len(TEMPLATES))], rng)
        lines.setdefault(line, None)
    return tuple(lines)


def split_of(line: str) -> str:
    """90 / 5 / 5 % by a hash of the text: stable, independent of the corpus seed."""
    bucket = int(hashlib.sha256(line.encode()).hexdigest()[:8], 16) % 20
    return "test" if bucket == 19 else "valid" if bucket == 18 else "train"


@functools.lru_cache(maxsize=1)
def by_split() -> dict[str, tuple[str, ...]]:
    lines = bank()
    return {
        split: tuple(line for line in lines if split_of(line) == split)
        for split in ("train", "valid", "test")
    }
