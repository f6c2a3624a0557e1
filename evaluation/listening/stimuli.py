"""Import a study's stimuli from the shared folder layout into the data directory.

``ROOT/<system>/<item>.wav`` are the outputs, ``ROOT/_reference/<item>.wav`` the true targets and
``ROOT/_context/<item>/source.wav`` with ``melody.{wav,mid,txt}`` what the listener hears as context.
Every clip is resampled to the study's rate, loudness-matched (BS.1770 through pyloudnorm) and
written under a random name, so neither the URL nor the file reveals its system. Blinding goes further
(a participant's browser sees URLs, headers and bytes): the clips a listener compares — every system's
output of one item, its MOS anchor and the catch trials' twins — are padded to one length, so their
sizes are equal; each gets its own inaudible dither (1 LSB), so no two clips share bytes and a catch
trial's two clips (an output and its twin) differ like any other pair; the files are written in a random
order and all stamped with one modification time, so no file time tells the order systems were written.
"""

from __future__ import annotations

import hashlib
import io
import os
import secrets
import time

import numpy as np
import soundfile

from evaluation.listening.study import PAIRWISE, Study, StudyError
from models.errors import SongbridgeError
from models.features import AudioLimits, load_audio

MELODY_EXTS = (".wav", ".mid", ".txt")
LIMITS = AudioLimits(min_seconds=0.1, max_seconds=120.0)


def scan(*, study: Study) -> dict[str, dict[str, str]]:
    """item → {role: path}: roles are each system, ``reference``, ``source`` and ``melody`` (when present)."""
    root = study.folder
    missing: list[str] = []
    first_dir = os.path.join(root, study.systems[0])
    items = list(study.items)
    if not items and os.path.isdir(first_dir):
        items = sorted(f[:-4] for f in os.listdir(first_dir) if f.endswith(".wav"))
    if not items:
        raise StudyError(f"No items: {root}/{study.systems[0]}/ holds no .wav files and items: is empty.")
    found: dict[str, dict[str, str]] = {}
    for item in items:
        roles: dict[str, str] = {}
        for system in study.systems:
            path = os.path.join(root, system, f"{item}.wav")
            if os.path.isfile(path):
                roles[system] = path
            else:
                missing.append(path)
        reference = os.path.join(root, "_reference", f"{item}.wav")
        if os.path.isfile(reference):
            roles["reference"] = reference  # kept with the study (a hidden reference), not assigned
        context = os.path.join(root, "_context", item)
        if os.path.isfile(os.path.join(context, "source.wav")):
            roles["source"] = os.path.join(context, "source.wav")
        for ext in MELODY_EXTS:
            if os.path.isfile(os.path.join(context, "melody" + ext)):
                roles["melody"] = os.path.join(context, "melody" + ext)
                break
        found[item] = roles
    _refuse_escapes(root, found)
    if missing:
        shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        raise StudyError(f"Missing stimulus file(s): {shown}. Every system needs ROOT/<system>/<item>.wav.")
    return found


def _refuse_escapes(root: str, found: dict[str, dict[str, str]]) -> None:
    """Every stimulus must really lie inside the folder: a symlink out of it (to the database, a key,
    another study) is refused, so importing a folder received from elsewhere reads nothing else."""
    inside = os.path.realpath(root) + os.sep
    for roles in found.values():
        for path in roles.values():
            if not os.path.realpath(path).startswith(inside):
                raise StudyError(
                    f"{path} leads outside the stimuli folder {root} (a link to {os.path.realpath(path)}); "
                    "copy the file into the folder instead."
                )


def render_melody(*, path: str, sr: int) -> np.ndarray:
    """A soft harmonic tone of the melody (text or MIDI), or the melody recording itself (WAV)."""
    from models.melody import from_midi, melody_tone, parse_note_text

    if path.endswith(".wav"):
        return load_audio(path, sr=sr, limits=LIMITS).samples
    if path.endswith(".mid"):
        melody = from_midi(path)
    else:
        with open(path, encoding="utf-8") as f:
            melody = parse_note_text(f.read(), name=os.path.basename(path))
    return melody_tone(melody, sr).samples


def match_loudness(*, samples: np.ndarray, sr: int, target_lufs: float) -> tuple[np.ndarray, float]:
    """Scale to ``target_lufs`` (integrated loudness; RMS dB for clips under 0.4 s); never clip."""
    import pyloudnorm

    x = samples.astype(np.float64)
    rms = float(np.sqrt(np.mean(x**2)))
    if rms == 0.0:
        raise StudyError("A stimulus is silent; its loudness cannot be measured.")
    rms_loudness = 20 * np.log10(rms) - 0.691
    loudness = pyloudnorm.Meter(sr).integrated_loudness(x) if len(x) >= int(0.45 * sr) else rms_loudness
    if not np.isfinite(loudness):  # quiet, not silent: every block under BS.1770's −70 LUFS gate
        loudness = rms_loudness
    y = x * 10 ** ((target_lufs - loudness) / 20)
    peak = np.max(np.abs(y))
    if peak > 0.99:  # a peak limit wins over the target; the stored LUFS says so
        y *= 0.99 / peak
    return y.astype(np.float32), float(
        loudness + 20 * np.log10(np.max(np.abs(y)) / max(np.max(np.abs(x)), 1e-12))
    )


def degrade(*, samples: np.ndarray, sr: int, seed: int) -> np.ndarray:
    """The MOS anchor: band-limited to 700 Hz, coarse 4-bit quantisation and noise at about 5 dB SNR."""
    from scipy.signal import butter, sosfilt

    low = sosfilt(butter(6, 700, fs=sr, output="sos"), samples)
    quantised = np.round(low * 8) / 8
    rms = np.sqrt(np.mean(quantised**2)) + 1e-9
    noise = np.random.default_rng(seed).standard_normal(len(samples)) * rms * 10 ** (-5 / 20)
    return (quantised + noise).astype(np.float32)


def import_stimuli(*, study: Study, out_dir: str) -> list[dict]:
    """Write every clip of the study under ``out_dir`` and return its stimulus rows."""
    os.makedirs(out_dir, exist_ok=True)
    sr, rows = study.sample_rate, []
    for item, roles in scan(study=study).items():
        clips: dict[tuple[str, str], np.ndarray] = {}
        paths: dict[tuple[str, str], str] = {}
        for role, path in roles.items():
            try:
                audio = (
                    render_melody(path=path, sr=sr)
                    if role == "melody"
                    else load_audio(path, sr=sr, limits=LIMITS).samples
                )
            except SongbridgeError as error:
                raise StudyError(f"{path}: {error}") from None
            kind = role if role in ("source", "melody", "reference") else "output"
            clips[(kind, "" if kind != "output" else role)] = audio
            paths[(kind, "" if kind != "output" else role)] = path
        if study.type == "mos":
            first = clips[("output", study.systems[0])]
            clips[("anchor", "_anchor")] = degrade(samples=first, sr=sr, seed=study.seed)
        if study.type in PAIRWISE:  # a catch trial plays an output against its twin
            clips.update({("twin", system): clips[("output", system)] for system in study.systems})
        rows += write_item(
            clips, sr=sr, out_dir=out_dir, study_id=study.id, item=item, loudness_lufs=study.loudness_lufs,
            sources=paths,
        )  # fmt: skip
    _blind_files(out_dir, rows)
    return rows


def write_item(
    clips: dict[tuple[str, str], np.ndarray], *, sr: int, out_dir: str, study_id: str, item: str,
    loudness_lufs: float, sources: dict | None = None,
) -> list[dict]:  # fmt: skip
    """One item's clips ((kind, system) → samples at ``sr``): the compared ones padded to one size, each
    loudness-matched and written under a random name, in no telling order; their stimulus rows.
    ``sources`` names a clip's file in an error."""
    _pad_compared(clips)
    rows = []
    for kind, system in secrets.SystemRandom().sample(list(clips), len(clips)):
        # The melody's reference tone stays soft: 6 LU under the voices it guides.
        target = loudness_lufs - (6.0 if kind == "melody" else 0.0)
        try:
            matched, lufs = match_loudness(samples=clips[(kind, system)], sr=sr, target_lufs=target)
        except StudyError as error:
            raise StudyError(f"{(sources or {}).get((kind, system), f'the {kind} clip')}: {error}") from None
        rows.append(
            _write_clip(matched, sr, out_dir, study=study_id, item=item, kind=kind, system=system, lufs=lufs)
        )
    return rows


#: the clips a listener compares with each other (the context clips play another role)
COMPARED = ("output", "twin", "anchor", "reference")


def _pad_compared(clips: dict[tuple[str, str], np.ndarray]) -> None:
    """Pad the compared clips of one item with silence to the longest, so their files are one size."""
    compared = [key for key in clips if key[0] in COMPARED]
    longest = max((len(clips[key]) for key in compared), default=0)
    for key in compared:
        clips[key] = np.pad(clips[key], (0, longest - len(clips[key])))


def _write_clip(
    samples: np.ndarray, sr: int, out_dir: str, *, study: str, item: str, kind: str, system: str, lufs: float
):
    """Write one clip under a random name with its own inaudible dither (TPDF, ±1 LSB of 16 bits): two
    clips of the same audio (an output and its catch twin) never share bytes. Returns its stimulus row."""
    rng = np.random.default_rng()
    lsb = 1.0 / 32768
    dithered = samples + (rng.random(len(samples)) - rng.random(len(samples))) * lsb
    name = secrets.token_hex(8) + ".wav"  # random: the name carries nothing about the system
    path = os.path.join(out_dir, name)
    soundfile.write(path, np.clip(dithered, -1.0, 1.0), sr, subtype="PCM_16")
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    return {
        "name": name, "study_id": study, "item": item, "system": system or None, "kind": kind,
        "duration": len(samples) / sr, "lufs": lufs, "sha256": digest,
    }  # fmt: skip


def redithered(path: str) -> bytes:
    """A stored 16-bit clip with new inaudible dither (TPDF, ±1 LSB) added: the same sound in bytes that
    no earlier fetch had, so comparing bytes or hashes cannot tell it was heard before. A script that
    correlates waveforms still can; the per-address caps and screening bound what it can do with that."""
    samples, sr = soundfile.read(path, dtype="int16", always_2d=False)
    rng = np.random.default_rng()
    noise = rng.integers(0, 2, len(samples), dtype=np.int32) - rng.integers(
        0, 2, len(samples), dtype=np.int32
    )
    buffer = io.BytesIO()
    soundfile.write(
        buffer,
        np.clip(samples.astype(np.int32) + noise, -32768, 32767).astype(np.int16),
        sr,
        format="WAV",
        subtype="PCM_16",
    )
    return buffer.getvalue()


def _blind_files(out_dir: str, rows: list[dict]) -> None:
    """One modification time for every clip of the import (a file's time would tell the order the
    systems were written in)."""
    stamp = int(time.time())
    for row in rows:
        os.utime(os.path.join(out_dir, row["name"]), (stamp, stamp))
    return rows
