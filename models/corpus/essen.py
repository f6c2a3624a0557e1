"""Real folk melodies from the Essen collection that ships in the music21 wheel (ABC files), read directly.

music21 installs cleanly here, but parsing one of its Essen ABC files through music21 took 78 s, so
this module reads the files itself: they use a small, regular subset of ABC (headers X/T/L/M/K, notes
with =/^/_ accidentals, octave marks, lengths, rests ``z``, bars, ties ``-``). music21 is not imported;
its package folder is only located. Without music21 installed the corpus falls back to the built-in tunes.

Licence (music21's corpus/essenFolksong/license.txt): the Essen database's legal status is unclear; its
editors permitted non-commercial distribution with music21. Songbridge never redistributes the
melodies: they only shape the notes of a corpus you build yourself.
"""

from __future__ import annotations

import functools
import glob
import hashlib
import importlib.util
import os
import re
from dataclasses import dataclass

SHARPS_ORDER = "FCGDAEB"
#: key → number of sharps (positive) or flats (negative); minor keys by their relative major
KEY_SIGNATURES = {
    "C": 0, "G": 1, "D": 2, "A": 3, "E": 4, "B": 5, "H": 5, "F#": 6,
    "F": -1, "Bb": -2, "Eb": -3, "Es": -3, "Ab": -4, "Db": -5,
    "Am": 0, "Em": 1, "Bm": 2, "Dm": -1, "Gm": -2, "Cm": -3, "Fm": -4,
}  # fmt: skip
STEPS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
TOKEN = re.compile(
    r"(?P<acc>[_=^]*)(?P<note>[A-Ga-gz])(?P<oct>[,']*)(?P<num>\d*)(?P<slash>/*)(?P<den>\d*)|(?P<bar>\|)|(?P<tie>-)"
)


@dataclass(frozen=True)
class FolkTune:
    name: str  # "<file>#<X>"
    notes: tuple[tuple[int | None, float], ...]  # (midi or None for a rest, length in units of L)


def essen_folder() -> str | None:
    spec = importlib.util.find_spec("music21")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = os.path.join(next(iter(spec.submodule_search_locations)), "corpus", "essenFolksong")
    return folder if os.path.isdir(folder) else None


def _key_accidentals(key: str) -> dict[str, int]:
    count = KEY_SIGNATURES.get(key.strip())
    if count is None:
        raise ValueError(f"unknown key {key!r}")
    letters = SHARPS_ORDER[:count] if count >= 0 else SHARPS_ORDER[::-1][:-count]
    return {letter: (1 if count > 0 else -1) for letter in letters}


def parse_tune(body: str, key: str, name: str) -> FolkTune:
    """The notes of one tune's body (after its headers), with key and bar-local accidentals applied."""
    signature = _key_accidentals(key)
    bar: dict[tuple[str, int], int] = {}
    notes: list[list] = []
    tie = False
    for match in TOKEN.finditer(body):
        if match["bar"]:
            bar = {}
            continue
        if match["tie"]:
            tie = True
            continue
        length = float(match["num"] or 1)
        if match["slash"]:
            length /= float(match["den"] or 2 ** len(match["slash"]))
        letter = match["note"]
        if letter == "z":
            notes.append([None, length])
            tie = False
            continue
        octave = 5 if letter.islower() else 4
        octave += match["oct"].count("'") - match["oct"].count(",")
        upper = letter.upper()
        if match["acc"]:
            bar[(upper, octave)] = {"=": 0, "^": 1, "_": -1}[match["acc"][0]] * len(match["acc"])
        shift = bar.get((upper, octave), signature.get(upper, 0))
        midi = 12 * (octave + 1) + STEPS[upper] + shift
        if tie and notes and notes[-1][0] == midi:
            notes[-1][1] += length
        else:
            notes.append([midi, length])
        tie = False
    return FolkTune(name, tuple((m, float(d)) for m, d in notes))


def parse_file(path: str) -> list[FolkTune]:
    tunes = []
    with open(path, encoding="latin-1") as handle:
        blocks = re.split(r"\n(?=X:)", handle.read())
    for block in blocks:
        headers = dict(re.findall(r"^([A-Z]):\s*(.*)$", block, flags=re.M))
        if "X" not in headers or "K" not in headers:
            continue
        body = "\n".join(line for line in block.splitlines() if not re.match(r"^[A-Z]:", line))
        try:
            tune = parse_tune(body, headers["K"], f"{os.path.basename(path)}#{headers['X'].strip()}")
        except ValueError:
            continue  # an unknown key: leave the tune out rather than guess its accidentals
        if sum(m is not None for m, _ in tune.notes) >= 8:
            tunes.append(tune)
    return tunes


def split_of(tune: FolkTune) -> str:
    bucket = int(hashlib.sha256(tune.name.encode()).hexdigest()[:8], 16) % 20
    return "test" if bucket == 19 else "valid" if bucket == 18 else "train"


@functools.lru_cache(maxsize=1)
def tunes_by_split() -> dict[str, tuple[FolkTune, ...]]:
    """Every parsed Essen tune, by split (empty when music21 is not installed)."""
    folder = essen_folder()
    tunes = []
    for path in sorted(glob.glob(os.path.join(folder, "*.abc"))) if folder else []:
        if not os.path.basename(path).startswith("test"):  # music21's parser fixtures, not songs
            tunes += parse_file(path)
    return {s: tuple(t for t in tunes if split_of(t) == s) for s in ("train", "valid", "test")}
