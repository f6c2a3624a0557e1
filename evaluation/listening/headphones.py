"""The headphone check of Woods, Siegel, Traer & McDermott (2017), "Headphone screening to facilitate
web-based auditory experiments" (Attention, Perception, & Psychophysics 79:2064–2072).

Each trial plays three 200 Hz tones; one is 6 dB quieter, and one is played in antiphase between the two
channels. Over headphones the quieter tone is plainly the quietest. Over loudspeakers the antiphase tone
cancels itself in the air and sounds quietest, so a listener without headphones picks it. Six trials;
five right passes (the paper's criterion). Which tone is which is drawn per participant and trial from
a key only the server knows, so a page cannot be told the answers; the bytes do tell a script that
measures them — this checks the listener's equipment, it is not a defence against scripts.
"""

from __future__ import annotations

import hashlib
import hmac
import io

import numpy as np
import soundfile

TRIALS, PASS_AT, ATTEMPTS = 6, 5, 2
RATE, TONE_S, GAP_S, RAMP_S, FREQ_HZ, LEVEL = 16000, 1.0, 0.5, 0.1, 200.0, 0.25
QUIET_DB = -6.0


def layout(key: bytes, token: str, attempt: int, trial: int) -> tuple[int, int]:
    """(quiet, antiphase): the positions 0–2 of the quieter and the antiphase tone (never the same)."""
    digest = hmac.new(key, f"headphones|{token}|{attempt}|{trial}".encode(), hashlib.sha256).digest()
    quiet = digest[0] % 3
    antiphase = (quiet + 1 + digest[1] % 2) % 3
    return quiet, antiphase


def answers(key: bytes, token: str, attempt: int) -> list[int]:
    """The right answer (1–3: the quieter tone) of each trial."""
    return [layout(key, token, attempt, k)[0] + 1 for k in range(TRIALS)]


def trial_wav(quiet: int, antiphase: int) -> bytes:
    """Three tones as a stereo 16-bit WAV."""
    n, gap = int(TONE_S * RATE), np.zeros((int(GAP_S * RATE), 2))
    t = np.arange(n) / RATE
    ramp = np.minimum(1.0, np.minimum(t, TONE_S - t) / RAMP_S)
    tone = LEVEL * np.sin(2 * np.pi * FREQ_HZ * t) * ramp
    parts = []
    for position in range(3):
        level = 10 ** (QUIET_DB / 20) if position == quiet else 1.0
        sign = -1.0 if position == antiphase else 1.0
        parts += [np.stack([tone * level, sign * tone * level], axis=1), gap]
    buffer = io.BytesIO()
    soundfile.write(buffer, np.concatenate(parts[:-1]), RATE, subtype="PCM_16", format="WAV")
    return buffer.getvalue()


def score(given: list, right: list[int]) -> int:
    return sum(str(g) == str(r) for g, r in zip(given, right, strict=True))
