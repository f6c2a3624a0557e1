"""The table of bad and edge audio files the hostile-input tests feed to every converter, the live
server and study import: each row makes its file and says what must come back (``None``: a correct
output; text: the project's error, whose message contains that text)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

SR = 22050
SECONDS = 0.6


def voice_like(sr: int = SR, seconds: float = SECONDS, channels: int = 1) -> np.ndarray:
    """A harmonic tone with a gliding pitch and syllable-like amplitude (seeded; speech enough for WORLD)."""
    t = np.arange(int(sr * seconds)) / sr
    f0 = 150 + 30 * np.sin(2 * np.pi * 1.5 * t)
    phase = 2 * np.pi * np.cumsum(f0) / sr
    tone = sum(np.sin(k * phase) / k for k in range(1, 12) if k * 180 < sr / 2)
    x = (0.3 * tone * (0.55 + 0.45 * np.sin(2 * np.pi * 4 * t))).astype(np.float32)
    return np.stack([x * (0.5 + 0.1 * c) for c in range(channels)], axis=1) if channels > 1 else x


def music_without_voice(sr: int = SR) -> np.ndarray:
    """Three-note piano-like chords with noise-burst 'drums' on the beats: music, no voice."""
    rng = np.random.default_rng(3)
    t = np.arange(int(sr * SECONDS)) / sr
    chord = sum(np.sin(2 * np.pi * f * t) * np.exp(-3 * t) for f in (261.6, 329.6, 392.0))
    drums = np.zeros_like(t)
    for beat in (0.0, 0.3):
        start = int(beat * sr)
        n = int(0.05 * sr)
        drums[start : start + n] += rng.standard_normal(n) * np.exp(-np.arange(n) / (0.01 * sr))
    return (0.2 * chord + 0.3 * drums).astype(np.float32)


def _write(samples, sr, subtype=None, fmt=None):
    def make(path: Path) -> None:
        soundfile.write(path, samples, sr, subtype=subtype, format=fmt)

    return make


def _bytes(data: bytes):
    def make(path: Path) -> None:
        path.write_bytes(data)

    return make


def _truncated(path: Path) -> None:
    soundfile.write(path, voice_like(), SR)
    path.write_bytes(path.read_bytes()[:30])


def _twenty_minutes(path: Path) -> None:
    """20 minutes at 8 kHz, 16 bit (19 MB), written in blocks: the header says 1,200 s."""
    block = (np.sin(2 * np.pi * 200 * np.arange(8000 * 60) / 8000) * 0.3 * 32767).astype(np.int16)
    with soundfile.SoundFile(path, "w", 8000, 1, subtype="PCM_16") as f:
        for _ in range(20):
            f.write(block)


def _cut_mp3(path: Path) -> None:
    """An MP3 cut to a third of its bytes: it decodes to a third of the length its header announces."""
    soundfile.write(path, voice_like(sr=44100, seconds=2.0), 44100, format="MP3")
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])


def _many_channels(path: Path) -> None:
    """255 silent channels at 48 kHz for 2 s: a 7 KB OGG that decodes to 24.5 million samples (98 MB), over
    the 23 million a 60-s limit allows (the red team's had 59 s: 2.9 GB)."""
    soundfile.write(path, np.zeros((96000, 255), np.float32), 48000, format="OGG")


def _with(value: float):
    x = voice_like()
    x[500:510] = value
    return _write(x, SR, subtype="FLOAT")


@dataclass(frozen=True)
class Row:
    id: str
    suffix: str
    make: object  # callable(path)
    expect: str | None  # None: a correct output; else text of the refusal
    study_expect: str | None = "same"  # study import's limits differ (0.1–120 s); "same": as ``expect``
    #: "signal": a different signal, run through every converter; "format": the reference voice in
    #: another encoding or container (decoded, it is the same signal: checked instead)
    kind: str = "refused"
    #: converters (by name prefix) that must refuse this signal, and the text of their refusal
    refused_by: tuple[tuple[str, str], ...] = ()

    @property
    def for_study(self) -> str | None:
        return self.expect if self.study_expect == "same" else self.study_expect


rng = np.random.default_rng(0)
ROWS = [
    Row("empty-file", ".wav", _bytes(b""), "empty"),
    Row("header-no-samples", ".wav", _write(np.zeros(0, np.float32), SR), "no samples"),
    Row("10-ms", ".wav", _write(voice_like()[: int(0.01 * SR)], SR), "at least 0.3 s", "at least 0.1 s"),
    Row("20-minutes", ".wav", _twenty_minutes, "limit here is 60 s", "limit here is 120 s"),
    Row("nan-samples", ".wav", _with(np.nan), "NaN or infinite"),
    Row("inf-samples", ".wav", _with(np.inf), "NaN or infinite"),
    Row("dc-only", ".wav", _write(np.full(int(SR * SECONDS), 0.5, np.float32), SR, "FLOAT"), "silent"),
    Row("silence", ".wav", _write(np.zeros(int(SR * SECONDS), np.float32), SR), "silent"),
    Row(
        "full-scale-clipping",
        ".wav",
        _write(np.clip(8 * voice_like(), -1, 1), SR, "PCM_16"),
        None,
        kind="signal",
    ),
    Row("over-full-scale-float", ".wav", _write(6 * voice_like(), SR, "FLOAT"), None, kind="signal"),
    Row("8-bit", ".wav", _write(voice_like(), SR, "PCM_U8"), None, kind="format"),
    Row("24-bit", ".wav", _write(voice_like(), SR, "PCM_24"), None, kind="format"),
    Row("32-bit-float", ".wav", _write(voice_like(), SR, "FLOAT"), None, kind="format"),
    Row("6-channels", ".wav", _write(voice_like(channels=6), SR, "PCM_16"), None, kind="signal"),
    Row("8-khz", ".wav", _write(voice_like(sr=8000), 8000, "PCM_16"), None, kind="signal"),
    Row("96-khz", ".wav", _write(voice_like(sr=96000), 96000, "PCM_24"), None, kind="format"),
    Row("mp3", ".mp3", _write(voice_like(sr=44100), 44100, fmt="MP3"), None, kind="format"),
    Row("ogg", ".ogg", _write(voice_like(), SR, fmt="OGG"), None, kind="format"),
    Row("flac", ".flac", _write(voice_like(), SR, fmt="FLAC"), None, kind="format"),
    Row("random-bytes-named-wav", ".wav", _bytes(rng.bytes(6000)), "Could not read"),
    Row("text-named-mp3", ".mp3", _bytes(b"<html>not audio</html>\n" * 200), "Could not read"),
    Row("truncated-header", ".wav", _truncated, "Could not read"),
    Row("mat5-named-wav", ".wav", _write(voice_like(), SR, fmt="MAT5"), "holds audio in the MAT5 format"),
    Row("cut-mp3", ".mp3", _cut_mp3, "seems damaged or cut short"),
    # study import allows 120 s, so twice the samples: there the file is decoded, in blocks, and is silent
    Row("255-channels", ".ogg", _many_channels, "255 channels at 48000 Hz", "silent"),
    Row(
        "white-noise",
        ".wav",
        _write((0.3 * rng.standard_normal(int(SR * SECONDS))).astype(np.float32), SR),
        None,
        kind="signal",
        refused_by=(("world-", "No voiced speech"),),  # WORLD needs voicing; the others give an output
    ),
    Row(
        "music-without-voice",
        ".wav",
        _write(music_without_voice(), SR),
        None,
        kind="signal",
        refused_by=(("world-", "No voiced speech"),),
    ),
    Row(
        "quiet-minus-60-db", ".wav", _write(voice_like() * 10 ** (-60 / 20), SR, "FLOAT"), None, kind="signal"
    ),
]
