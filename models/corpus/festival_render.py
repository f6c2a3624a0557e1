"""Festival (Debian: festival, festvox-kallpc16k, festvox-kdlpc16k) speaks and sings the same lyrics.

Two processes per pair, because singing mode leaves Festival's duration and intonation methods
changed and speaking after singing in one process segfaults (shared/research/data-scout.md):
1. speak the text; dump its segments and each word's syllable count;
2. sing a SINGING-XML song built from those counts (one note per syllable); dump its segments.
Festival's note names are one octave below scientific pitch (its "A5" is 440 Hz), so MIDI m is
written ``NAMES[m % 12] + str(m // 12)``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from xml.sax.saxutils import escape

from models.errors import SongbridgeError

VOICES = ("kal", "ked")
NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
TIMEOUT_S = 120

_DUMP = """
(define (sb_dump_segs u fname)
  (let ((fd (fopen fname "w")))
    (mapcar (lambda (s) (format fd "%f %f %s\\n" (item.feat s "segment_start") (item.feat s "end") (item.name s)))
            (utt.relation.items u 'Segment))
    (fclose fd)))
(define (sb_dump_words u fname)
  (let ((fd (fopen fname "w")))
    (mapcar (lambda (w) (format fd "%s %d\\n" (item.name w) (length (item.daughters (item.relation w 'SylStructure)))))
            (utt.relation.items u 'Word))
    (fclose fd)))
"""


Segment = tuple[float, float, str]


class FestivalError(SongbridgeError):
    """Festival is missing or failed on an input."""


@dataclass(frozen=True)
class Spoken:
    segments: list[Segment]  # Festival phone names
    words: list[tuple[str, int]]  # (word, syllable count)


def require_festival() -> None:
    if shutil.which("festival") is None:
        raise FestivalError(
            "Festival is not installed: apt-get install festival festvox-kallpc16k festvox-kdlpc16k"
        )


def _scheme_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _run(script: str, folder: str, name: str) -> None:
    path = os.path.join(folder, f"{name}.scm")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(_DUMP + script)
    done = subprocess.run(["festival", "--batch", path], capture_output=True, timeout=TIMEOUT_S, cwd=folder)
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no message"]
        raise FestivalError(f"Festival failed ({name}, exit {done.returncode}): {message[0]}")


def _read_segments(path: str) -> list[Segment]:
    with open(path, encoding="utf-8") as handle:
        return [(float(a), float(b), p) for a, b, p in (line.split() for line in handle if line.strip())]


def speak_many(texts: list[str], *, voice: str, wav_paths: list[str], folder: str) -> list[Spoken]:
    """Speak each text to its wav (16 kHz) in one Festival process; return segments and syllable counts."""
    script = [f"(voice_{voice}_diphone)"]
    for index, (text, wav) in enumerate(zip(texts, wav_paths, strict=True)):
        script.append(
            f"(set! u (Utterance Text {_scheme_string(text)}))(utt.synth u)"
            f'(sb_dump_segs u "speech{index}.segs")(sb_dump_words u "speech{index}.words")'
            f"(utt.save.wave u {_scheme_string(wav)} 'riff)"
        )
    _run("\n".join(script) + "\n", folder, "speak")
    spoken = []
    for index in range(len(texts)):
        with open(os.path.join(folder, f"speech{index}.words"), encoding="utf-8") as handle:
            counts = [(w, int(n)) for w, n in (line.split() for line in handle if line.strip())]
        spoken.append(Spoken(_read_segments(os.path.join(folder, f"speech{index}.segs")), counts))
    return spoken


def festival_note(midi: int) -> str:
    return f"{NOTE_NAMES[midi % 12]}{midi // 12}"


def song_xml(words: list[tuple[str, int]], notes: list[tuple[int | None, float, float]]) -> str:
    """A SINGING-XML document: one note per syllable in order; rests (midi None) between words."""
    lines = ['<?xml version="1.0"?>', '<!DOCTYPE SINGING PUBLIC "-//SINGING//DTD SINGING mark up//EN"']
    lines[-1] += ' "Singing.v0_1.dtd" []>'
    lines.append('<SINGING BPM="60">')
    queue = list(notes)
    for word, syllables in words:
        while queue and queue[0][0] is None:
            lines.append(f'<REST BEATS="X" SECONDS="{queue.pop(0)[2]:.4f}"></REST>')
        mine, queue = queue[:syllables], queue[syllables:]
        if len(mine) != syllables or any(midi is None for midi, _, _ in mine):
            raise FestivalError(f"the melody has too few notes for the word {word!r}")
        seconds = ",".join(f"{dur:.4f}" for _, _, dur in mine)
        pitches = ",".join(festival_note(midi) for midi, _, _ in mine)
        lines.append(
            f'<DURATION BEATS="X" SECONDS="{seconds}"><PITCH NOTE="{pitches}">{escape(word)}</PITCH></DURATION>'
        )
    for midi, _, dur in queue:
        if midi is not None:
            raise FestivalError("the melody has more notes than the lyrics have syllables")
        lines.append(f'<REST BEATS="X" SECONDS="{dur:.4f}"></REST>')
    lines.append("</SINGING>")
    return "\n".join(lines) + "\n"


def sing_many(songs: list[str], *, voice: str, wav_paths: list[str], folder: str) -> list[list[Segment]]:
    """Sing each SINGING-XML song to its wav in one Festival process; return each song's segments."""
    script = [
        f"(voice_{voice}_diphone)(require 'singing-mode)",
        "(set! tts_hooks (list utt.synth (lambda (utt) (set! sb_utts (append sb_utts (list utt))) utt)))",
    ]
    for index, (xml, wav) in enumerate(zip(songs, wav_paths, strict=True)):
        with open(os.path.join(folder, f"song{index}.xml"), "w", encoding="utf-8") as handle:
            handle.write(xml)
        script.append(
            f'(set! sb_utts nil)(tts_file "song{index}.xml" \'singing)'
            f'(sb_dump_segs (car sb_utts) "sung{index}.segs")'
            f"(utt.save.wave (car sb_utts) {_scheme_string(wav)} 'riff)"
        )
    _run("\n".join(script) + "\n", folder, "sing")
    return [_read_segments(os.path.join(folder, f"sung{index}.segs")) for index in range(len(songs))]
