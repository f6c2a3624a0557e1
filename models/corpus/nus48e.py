"""NUS-48E → the paired speech/singing manifest (issue 4, item 7).

Layout expected (as distributed): ``ROOT/<SINGER>/{sing,read}/NN.wav`` (44.1 kHz) with ``NN.txt`` beside
each, one ``start end phone`` line per phone (seconds; lowercase CMU phones, ``sil``, ``sp``), for the
singers ADIZ JLEE JTAN KENN MCUR MPOL MPUR NJAT PMAR SAMF VKOW ZHIY. A subset of the singers is fine;
anything else that differs stops the build with "<path>: expected …, found …", and every file is
checked before the first cut, so a bad file late in the corpus does not cost an hour of work. Files at
the root (the readme) and hidden entries are ignored; stereo files would be averaged to mono.

What the build does, and why:

- Words: NUS-48E has no word annotation and no lyrics text; :mod:`models.corpus.words` recovers them
  by splitting the phones into CMU-dictionary words (least surprisal). The ``text`` is a best guess
  with the right sounds.
- Segments: :mod:`models.corpus.pairing` — runs of ≥ 3 words between pauses found in both recordings,
  identical content phones on both sides. Dropped candidates are counted by reason in the report.
- Audio: each segment is cut with up to 50 ms of its bordering silence and written at 22,050 Hz, the
  rate of the HiFi-GAN features every mel model here trains on (44.1 kHz would be resampled at every
  load); 16-bit PCM. Phones are re-timed to the cut.
- Notes: NUS-48E has none. One note per sung vowel: the median pYIN F0 (``features.f0``, accurate
  method) over the vowel, rounded to MIDI; None where under half of its frames are voiced. Marked
  ``extra["notes_from"] = "F0 of the sung recording"``.
- Splits: whole songs, never lyrics across splits. NUS-48E holds 48 recordings of 20 unique songs, and
  NN names the song for every singer (ADIZ/18 and SAMF/18 are one song), so songs are grouped by NN,
  and also with any song sharing a segment's exact phones. The group of song 18, the ICASSP 2020 test
  set, is always test (so our results can be set beside the paper's); the other groups are shuffled by
  ``seed`` and filled into test, then valid, until each holds ≥ 10 % of the recordings; the rest train.
"""

from __future__ import annotations

import math
import os
import re
import sys
from dataclasses import dataclass, field

import numpy as np

from models.corpus.loader_cli import run_loader
from models.corpus.manifest import MANIFEST_NAME, Pair, sha256_file, write_manifest
from models.corpus.pairing import Side, pair_segments
from models.corpus.phones import (
    CMU_PHONES,
    NUS48E_TO_CMU,
    VOWELS,
    content_phones,
    from_nus48e,
    merge_silences,
)
from models.errors import SongbridgeError
from models.features import HIFIGAN_MEL, Audio, f0, resample

SINGERS = ("ADIZ", "JLEE", "JTAN", "KENN", "MCUR", "MPOL", "MPUR", "NJAT", "PMAR", "SAMF", "VKOW", "ZHIY")
PARTS = ("sing", "read")
SOURCE_RATE = 44100
SAMPLE_RATE = HIFIGAN_MEL.sample_rate
MARGIN_S = 0.05
#: the ICASSP 2020 test set: song 18 (sung by ADIZ and SAMF)
PAPER_TEST_SONGS = ("18",)
HOLD_OUT = 0.1
#: annotation times may overlap the previous phone or pass the file's end by this much (rounding)
TIME_SLACK_S = 0.01
LABELS = frozenset({p.lower() for p in CMU_PHONES} | set(NUS48E_TO_CMU))
_FILE = re.compile(r"^(\d{2})\.(wav|txt)$")


class NusError(SongbridgeError, ValueError):
    """The NUS-48E folder differs from the layout the loader expects."""


@dataclass
class NusReport:
    """What a build wrote and what it left out."""

    songs: int = 0
    segments_matched: int = 0
    #: dropped candidate segments by reason (see models.corpus.pairing)
    segments_dropped: dict[str, int] = field(default_factory=dict)
    speech_minutes: float = 0.0
    singing_minutes: float = 0.0
    #: matched segments per split
    splits: dict[str, int] = field(default_factory=dict)
    manifest_sha256: str = ""

    def summary(self) -> str:
        dropped = sum(self.segments_dropped.values())
        reasons = "; ".join(f"{n} {why}" for why, n in sorted(self.segments_dropped.items())) or "none"
        splits = ", ".join(f"{name} {n}" for name, n in self.splits.items())
        return (
            f"NUS-48E: {self.songs} songs, {self.segments_matched} segments matched ({splits}), "
            f"{dropped} dropped ({reasons}); {self.speech_minutes:.1f} min speech, "
            f"{self.singing_minutes:.1f} min singing; manifest sha256 {self.manifest_sha256}"
        )


# ---------------------------------------------------------------------------------------------------------
# Layout and annotation checks


def find_songs(root: str) -> list[tuple[str, str]]:
    """(singer, NN) of every song under ``root``, sorted, after checking the layout."""
    if not os.path.isdir(root):
        raise NusError(f"{root}: expected the NUS-48E folder, found no folder there.")
    songs = []
    singers = [name for name in sorted(os.listdir(root)) if os.path.isdir(os.path.join(root, name))]
    for singer in (name for name in singers if not name.startswith(".")):
        folder = os.path.join(root, singer)
        if singer not in SINGERS:
            raise NusError(f"{folder}: expected a singer folder ({' '.join(SINGERS)}), found {singer!r}.")
        numbers = {part: _song_files(os.path.join(folder, part)) for part in PARTS}
        for part, other in (("sing", "read"), ("read", "sing")):
            missing = sorted(numbers[part] - numbers[other])
            if missing:
                raise NusError(
                    f"{os.path.join(folder, other)}: expected {missing[0]}.wav, the {other} version of "
                    f"{part}/{missing[0]}.wav, found none."
                )
        songs += [(singer, number) for number in sorted(numbers["sing"])]
    if not songs:
        raise NusError(f"{root}: expected singer folders ({' '.join(SINGERS)}) holding songs, found none.")
    return songs


def _song_files(folder: str) -> set[str]:
    if not os.path.isdir(folder):
        raise NusError(f"{folder}: expected a folder with NN.wav and NN.txt files, found none.")
    found: dict[str, set[str]] = {}
    for name in sorted(os.listdir(folder)):
        if name.startswith("."):
            continue
        match = _FILE.match(name)
        if match is None:
            raise NusError(f"{folder}: expected only NN.wav and NN.txt files, found {name!r}.")
        found.setdefault(match.group(1), set()).add(match.group(2))
    for number, kinds in sorted(found.items()):
        if kinds != {"wav", "txt"}:
            have, want = next(iter(kinds)), ({"wav", "txt"} - kinds).pop()
            raise NusError(
                f"{os.path.join(folder, number + '.' + have)}: expected {number}.{want} beside it, found none."
            )
    return set(found)


def wav_duration(path: str) -> float:
    """Seconds of a recording, after checking that it is a 44.1 kHz WAV file."""
    import soundfile

    try:
        info = soundfile.info(path)
    except RuntimeError as error:
        raise NusError(f"{path}: expected a WAV file, found one soundfile cannot read ({error}).") from None
    if info.samplerate != SOURCE_RATE:
        raise NusError(f"{path}: expected {SOURCE_RATE} Hz audio, found {info.samplerate} Hz.")
    return info.frames / info.samplerate


def check_corpus(root: str) -> list[tuple[str, str]]:
    """:func:`find_songs`, then every WAV header and annotation checked before any cutting starts."""
    songs = find_songs(root)
    for singer, number in songs:
        for part in PARTS:
            base = os.path.join(root, singer, part, number)
            read_phones(base + ".txt", wav_duration(base + ".wav"))
    return songs


def read_phones(path: str, duration_s: float) -> list[tuple[float, float, str]]:
    """The annotation as (start, end, PHONE) with CMU-39 + SIL labels, neighbouring silences merged."""
    spans: list[tuple[float, float, str]] = []
    with open(path, encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, start=1):
            where, text = f"{path}:{number}", line.strip()
            if not text:
                continue
            fields = text.split()
            try:
                if len(fields) != 3:
                    raise ValueError
                start, end = float(fields[0]), float(fields[1])
            except ValueError:
                raise NusError(f"{where}: expected `start end phone` (seconds), found {text!r}.") from None
            if not (math.isfinite(start) and math.isfinite(end) and 0 <= start < end):
                raise NusError(f"{where}: expected times with 0 <= start < end, found {text!r}.")
            if spans and start < spans[-1][1] - TIME_SLACK_S:
                raise NusError(
                    f"{where}: expected a start at or after {spans[-1][1]:g} s, found {start:g} s."
                )
            if end > duration_s + TIME_SLACK_S:
                raise NusError(
                    f"{where}: expected times within the {duration_s:.3f} s of audio, found {end:g} s."
                )
            if fields[2] not in LABELS:
                raise NusError(f"{where}: expected a lowercase CMU phone, sil or sp, found {fields[2]!r}.")
            start, end = max(start, spans[-1][1] if spans else 0.0), min(end, duration_s)
            if end <= start:  # inside the previous phone or past the audio, within the slack
                raise NusError(f"{where}: expected a phone after the previous one, found {text!r}.")
            spans.append((start, end, from_nus48e(fields[2])))
    if not spans:
        raise NusError(f"{path}: expected `start end phone` lines, found none.")
    return merge_silences(spans)


def _recording(root: str, singer: str, part: str, number: str) -> tuple[np.ndarray, Side]:
    """The recording as mono float32 at 44.1 kHz (channels, if any, averaged) and its phones."""
    import soundfile

    base = os.path.join(root, singer, part, number)
    samples, _ = soundfile.read(base + ".wav", dtype="float32", always_2d=True)
    return samples.mean(axis=1), Side(read_phones(base + ".txt", len(samples) / SOURCE_RATE))


# ---------------------------------------------------------------------------------------------------------
# Cutting, notes and splits


def _cut(samples: np.ndarray, side: Side, first: int, last: int) -> tuple[np.ndarray, list]:
    start, end = side.cut(first, last, MARGIN_S, len(samples) / SOURCE_RATE)
    piece = resample(samples[round(start * SOURCE_RATE) : round(end * SOURCE_RATE)], SOURCE_RATE, SAMPLE_RATE)
    length = len(piece) / SAMPLE_RATE
    phones = [(a, min(b, length), p) for a, b, p in side.retimed(start, end) if a < length]
    return piece, phones


def notes_from_f0(singing: np.ndarray, phones: list) -> list[tuple[int | None, float, float]]:
    """One note per sung vowel: median pYIN F0 rounded to MIDI; None if under half its frames are voiced."""
    track = f0(Audio(singing, SAMPLE_RATE), method="accurate")
    notes = []
    for start, end, phone in phones:
        if phone not in VOWELS:
            continue
        hz = track.hz[(track.times >= start) & (track.times < end)]
        voiced = hz[hz > 0]
        midi = None
        if len(voiced) and len(voiced) >= 0.5 * len(hz):
            midi = round(69 + 12 * math.log2(float(np.median(voiced)) / 440.0))
        notes.append((midi, round(start, 5), round(end - start, 5)))
    return notes


def assign_splits(songs: list[str], shared: list[set[str]], *, seed: int) -> dict[str, str]:
    """Split of each song key ("SINGER/NN"): whole groups of songs that share lyrics go together."""
    parent = {song: song for song in songs}

    def find(song: str) -> str:
        while parent[song] != song:
            song = parent[song]
        return song

    links = [{s for s in songs if s.endswith("/" + n)} for n in {s.split("/")[1] for s in songs}]
    for group in [*links, *shared]:
        first, *rest = sorted(group)
        for song in rest:
            parent[find(song)] = find(first)
    groups: dict[str, list[str]] = {}
    for song in sorted(songs):
        groups.setdefault(find(song), []).append(song)
    ordered = sorted(groups.values())
    paper = [g for g in ordered if any(s.split("/")[1] in PAPER_TEST_SONGS for s in g)]
    rest = [
        ordered[i] for i in np.random.default_rng(seed).permutation(len(ordered)) if ordered[i] not in paper
    ]
    quota = max(1, round(HOLD_OUT * len(songs)))
    if len(ordered) < 2:  # one group: nothing can be held out
        return dict.fromkeys(songs, "train")
    chosen: dict[str, list[list[str]]] = {"test": list(paper), "valid": []}
    wanted = ["test", "valid"][: len(ordered) - 1]
    for split in wanted:
        while len(rest) > 1 and sum(map(len, chosen[split])) < quota:
            chosen[split].append(rest.pop(0))
    split_of = {song: "train" for song in songs}
    for split, picked in chosen.items():
        for group in picked:
            split_of.update(dict.fromkeys(group, split))
    return split_of


# ---------------------------------------------------------------------------------------------------------
# The build


def build_nus48e(root: str, out: str, *, seed: int = 0, progress: bool = True) -> NusReport:
    """Cut NUS-48E into matched read/sung segments under ``out`` and write ``out/manifest.jsonl``.

    Returns the report (songs, segments matched and dropped by reason, minutes, segments per split).
    Raises :class:`NusError` naming the file and what was expected where the corpus differs.
    """
    songs = check_corpus(root)
    for part in ("speech", "singing"):  # a rebuild must not leave an earlier build's cuts behind
        folder = os.path.join(out, part)
        os.makedirs(folder, exist_ok=True)
        for name in os.listdir(folder):
            if name.startswith("nus48e-") and name.endswith(".wav"):
                os.remove(os.path.join(folder, name))
    report, rows, shared = NusReport(songs=len(songs)), [], {}
    for singer, number in songs:
        key = f"{singer}/{number}"
        sung_samples, sung = _recording(root, singer, "sing", number)
        read_samples, read = _recording(root, singer, "read", number)
        segments, dropped = pair_segments(sung, read)
        for reason, count in dropped.items():
            report.segments_dropped[reason] = report.segments_dropped.get(reason, 0) + count
        for index, segment in enumerate(segments, start=1):
            pair_id = f"nus48e-{singer.lower()}-{number}-{index:02d}"
            row = _write(out, "singing", pair_id, sung_samples, sung, (segment.sung_from, segment.sung_to))
            row |= _write(out, "speech", pair_id, read_samples, read, (segment.read_from, segment.read_to))
            row.update(id=pair_id, text=" ".join(segment.words), speaker=singer, song=key)
            row["notes"] = notes_from_f0(row.pop("singing_piece"), row["singing_phones"])
            del row["speech_piece"]
            rows.append(row)
            shared.setdefault(tuple(content_phones(row["singing_phones"])), set()).add(key)
            report.speech_minutes += row["speech_s"] / 60
            report.singing_minutes += row["singing_s"] / 60
        if progress:
            print(f"{key}: {len(segments)} segments, {sum(dropped.values())} dropped", file=sys.stderr)
    split_of = assign_splits([f"{s}/{n}" for s, n in songs], list(shared.values()), seed=seed)
    pairs = [_pair(row, split_of[row["song"]]) for row in rows]
    report.manifest_sha256 = write_manifest(pairs, os.path.join(out, MANIFEST_NAME))
    report.segments_matched = len(pairs)
    report.splits = {s: sum(p.split == s for p in pairs) for s in ("train", "valid", "test")}
    return report


def _write(out: str, kind: str, pair_id: str, samples: np.ndarray, side: Side, span: tuple[int, int]) -> dict:
    """Cut content phones span[0]..span[1]-1 of one recording to ``out/<kind>/<id>.wav``; its manifest fields."""
    import soundfile

    piece, phones = _cut(samples, side, span[0], span[1] - 1)
    relative = f"{kind}/{pair_id}.wav"
    soundfile.write(os.path.join(out, relative), piece, SAMPLE_RATE, subtype="PCM_16")
    return {
        f"{kind}_wav": relative,
        f"{kind}_phones": phones,
        f"{kind}_s": len(piece) / SAMPLE_RATE,
        f"{kind}_sha": sha256_file(os.path.join(out, relative)),
        f"{kind}_piece": piece,
    }


def _pair(row: dict, split: str) -> Pair:
    return Pair(
        id=row["id"],
        split=split,
        speaker=row["speaker"],
        base_voice=row["speaker"],
        text=row["text"],
        speech_wav=row["speech_wav"],
        singing_wav=row["singing_wav"],
        speech_phones=row["speech_phones"],
        singing_phones=row["singing_phones"],
        notes=row["notes"],
        sample_rate=SAMPLE_RATE,
        sha256={"speech_wav": row["speech_sha"], "singing_wav": row["singing_sha"]},
        extra={
            "corpus": "NUS-48E",
            "song": row["song"],
            "notes_from": "F0 of the sung recording",
            "text_from": "CMU dictionary words fitted to the annotated phones",
        },
    )


def main(argv: list[str] | None = None) -> int:
    """``python -m models.corpus.nus48e --root DIR --out DIR [--seed N] [--quiet]``."""
    return run_loader(argv, prog="nus48e", corpus="NUS-48E", layout="ADIZ/, JLEE/, …", build=build_nus48e)


if __name__ == "__main__":
    raise SystemExit(main())
