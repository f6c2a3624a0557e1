"""AlignSTS inputs computed from audio and melodies; shared by training data and the converter.

- content: log phone posteriors (models/ppg, 10 ms frames) of the speech after WORLD has replaced its
  F0 by the speaker's mean voiced F0 — AlignSTS's "monotonic" speech, so intonation does not leak in;
- rhythm: r = sigmoid(k · z-score of the frame energy √Σ exp(mel)²), near binary (sound on / off);
- pitch: the target F0 per HiFi-GAN mel frame as a coarse log-frequency bin (AlignSTS's ``f0_to_coarse``:
  0 unvoiced, 1–255 over 50–1100 Hz, about 21 cents a bin) — a reference recording's own contour, or
  the notes' step contour — and a note-onset flag (first checkpoints: the note per frame, MIDI + 1);
- speaker: the mean HiFi-GAN log mel of the speech's louder half (our stand-in for Resemblyzer).
"""

from __future__ import annotations

import numpy as np

from models import features, world
from models.features import HIFIGAN_MEL, PPG_MEL, Audio
from models.melody import Melody
from models.rhythm import rhythm_of_mel

MEL_SPEC = HIFIGAN_MEL  # output frames: 11.6 ms
CONTENT_SPEC = PPG_MEL  # content frames: 10 ms
LOG_FLOOR = 1e-5
F0_BINS = 256  # 0 unvoiced, 1 … 255 voiced
F0_RANGE_HZ = (50.0, 1100.0)


def flattened_speech(speech: Audio) -> Audio:
    """``speech`` resynthesized by WORLD with every voiced frame at the mean voiced F0 (16 kHz)."""
    audio = features.to_rate(speech, CONTENT_SPEC.sample_rate)
    params = world.analyse(audio, envelope_stride=2)
    voiced = params.f0 > 0
    if voiced.any():
        params.f0 = np.where(voiced, float(np.exp(np.log(params.f0[voiced]).mean())), 0.0)
    return world.synthesize(params)


def content_features(speech: Audio, recognizer=None) -> np.ndarray:
    """(40, T2) float32 log phone posteriors of the F0-flattened ``speech`` at 10 ms frames."""
    from models.ppg.recognizer import load_default

    recognizer = recognizer or load_default()
    posteriors = recognizer.posteriorgram(flattened_speech(speech))
    return np.log(np.maximum(posteriors, LOG_FLOOR)).T.astype(np.float32)


def speech_rhythm(speech: Audio) -> np.ndarray:
    """(T2,) rhythm envelope of the speech on the content frames (the w/o-adaptor ablation's rhythm)."""
    mel = features.log_mel(speech, CONTENT_SPEC)
    return rhythm_of_mel(mel)


def speaker_vector(speech: Audio) -> np.ndarray:
    """(80,) mean HiFi-GAN log mel over the louder half of the speech frames."""
    mel = features.log_mel(speech, MEL_SPEC)
    energy = mel.max(axis=0)
    loud = energy >= np.median(energy)
    return mel[:, loud].mean(axis=1).astype(np.float32)


def pitch_frames(melody: Melody, n_frames: int) -> tuple[np.ndarray, np.ndarray]:
    """(T1,) note index per mel frame (MIDI + 1, 0 in rests) and (T1,) onset flags (1 on a note's first frame).

    A frame's time is its centre, (i + ½) · hop; every note gets an onset on the frame its start falls in.
    """
    hop = MEL_SPEC.frame_seconds
    centres = (np.arange(n_frames) + 0.5) * hop
    notes = np.zeros(n_frames, dtype=np.int64)
    onsets = np.zeros(n_frames, dtype=np.int64)
    for note in melody.sung_notes:
        notes[(centres >= note.onset) & (centres < note.end)] = int(note.midi) + 1
        first = int(note.onset / hop)
        if first < n_frames:
            onsets[first] = 1
    return notes, onsets


def coarse_f0(hz: np.ndarray) -> np.ndarray:
    """(T,) Hz (0 unvoiced) → (T,) int64 bins: 0 unvoiced, else 1 … F0_BINS − 1 evenly in log frequency
    over F0_RANGE_HZ (clipped at its ends)."""
    hz = np.asarray(hz, dtype=np.float64)
    low, high = np.log(F0_RANGE_HZ[0]), np.log(F0_RANGE_HZ[1])
    position = (np.log(np.maximum(hz, 1e-6)) - low) / (high - low)
    bins = 1 + np.round(np.clip(position, 0.0, 1.0) * (F0_BINS - 2)).astype(np.int64)
    return np.where(hz > 0, bins, 0)


def fit_frames(values: np.ndarray, n: int, pad: str = "constant") -> np.ndarray:
    """``values`` cut or padded to ``n`` frames (framings of one signal differ by a frame or so): with
    zeros (an F0: unvoiced) or, ``pad="edge"``, with the last value."""
    return values[:n] if len(values) >= n else np.pad(values, (0, n - len(values)), mode=pad)


def contour_hz(melody: Melody, n_frames: int) -> np.ndarray:
    """(T1,) the F0 the melody asks for on the output frames: a followed reference's own contour, or the
    notes' step contour (Hz, 0 unvoiced)."""
    return fit_frames(melody.contour(MEL_SPEC.frame_seconds).hz, n_frames)


def sung_f0(singing: Audio, n_frames: int) -> np.ndarray:
    """(T1,) F0 of a sung recording on the output frames (WORLD DIO + StoneMask; Hz, 0 unvoiced): the
    training contour. The app reads a reference with ``melody.recorded_contour``, which also corrects
    DIO's octave slips by pYIN; that costs about 0.4 s per second of audio, too slow for a corpus."""
    return fit_frames(features.f0(singing, method="fast", hop_s=MEL_SPEC.frame_seconds).hz, n_frames)


def pitch_tokens(melody: Melody, n_frames: int, pitch_input: str) -> tuple[np.ndarray, np.ndarray]:
    """The pitch encoder's input for a melody: (T1,) tokens (coarse F0 bins for ``"contour"``, notes for
    ``"notes"``) and (T1,) onset flags."""
    notes, onsets = pitch_frames(melody, n_frames)
    if pitch_input == "contour":
        return coarse_f0(contour_hz(melody, n_frames)), onsets
    return notes, onsets


def melody_frames(melody: Melody) -> int:
    """Output frames for a melody: its duration at the mel hop (the output length equals the melody's)."""
    return max(1, int(np.ceil(melody.duration / MEL_SPEC.frame_seconds)))
