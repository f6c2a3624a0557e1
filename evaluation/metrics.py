"""Objective metrics, each computed the way the papers compute it (definitions in ARCHITECTURE.md)."""

from __future__ import annotations

import numpy as np

from models import features
from models.features import LSD_STFT, Audio

#: Band of both LSD variants: STFT bins 7–219 at 16 kHz / 1024 points (109–3422 Hz), inclusive.
LSD_BINS = slice(7, 220)


def _lsd_magnitudes(reference: Audio, estimate: Audio) -> tuple[np.ndarray, np.ndarray]:
    ref = features.magnitude(features.to_rate(reference, LSD_STFT.sample_rate).samples, LSD_STFT)[LSD_BINS]
    est = features.magnitude(features.to_rate(estimate, LSD_STFT.sample_rate).samples, LSD_STFT)[LSD_BINS]
    n = min(ref.shape[1], est.shape[1])
    if n == 0:
        raise ValueError("LSD needs at least one frame in both signals")
    return ref[:, :n].astype(np.float64), est[:, :n].astype(np.float64)


def lsd_icassp(reference: Audio, estimate: Audio) -> float:
    """Log-spectral distance of the ICASSP 2020 code (Parekh, Rao, Yang), comparable to its Table 1.

    Both signals at 16 kHz; STFT n_fft = win = 1024, hop 128; L = ln(0.1 + |S|); bins 7–219;
    per frame sqrt(Σ_bins (L_ref − L_est)²); mean over frames; frames truncated to the shorter signal.
    """
    ref, est = _lsd_magnitudes(reference, estimate)
    diff = np.log(0.1 + ref) - np.log(0.1 + est)
    return float(np.mean(np.sqrt(np.sum(diff**2, axis=0))))


def lsd_db(reference: Audio, estimate: Audio) -> float:
    """Log-spectral distance in dB: L = 20·log10(|S| + 1e-8), the same STFT and band as :func:`lsd_icassp`,
    per frame sqrt(mean_bins (L_ref − L_est)²), mean over frames.
    """
    ref, est = _lsd_magnitudes(reference, estimate)
    diff = 20 * np.log10(ref + 1e-8) - 20 * np.log10(est + 1e-8)
    return float(np.mean(np.sqrt(np.mean(diff**2, axis=0))))


def f0_error_cents(reference: Audio, estimate: Audio, *, statistic: str = "median") -> float:
    """Absolute F0 difference in cents over frames voiced in both signals (accurate F0 method, same hop).

    ``statistic`` is ``"median"`` or ``"mean"``. Returns NaN when no frame is voiced in both.
    """
    ref = features.f0(reference, method="accurate").hz
    est = features.f0(estimate, method="accurate").hz
    n = min(len(ref), len(est))
    both = (ref[:n] > 0) & (est[:n] > 0)
    if not both.any():
        return float("nan")
    cents = np.abs(1200 * np.log2(est[:n][both] / ref[:n][both]))
    return float(np.median(cents) if statistic == "median" else np.mean(cents))


def envelope_distance(reference: Audio, estimate: Audio, *, n_coefficients: int = 12) -> float:
    """How well the estimate's spectral envelopes are found in the reference: for each loud estimate
    frame, the Euclidean distance of its MFCCs 1..``n_coefficients`` (DCT-II of the HiFi-GAN log mel)
    to the nearest loud reference frame; the mean over frames. Small when the output reuses the input's
    vowels and consonants (whatever their pitch or timing); large for a tone that has no formants.
    """
    from scipy.fft import dct

    def loud_mfcc(audio: Audio) -> np.ndarray:
        mel = features.log_mel(features.to_rate(audio, features.HIFIGAN_MEL.sample_rate).samples)
        energy = mel.max(axis=0)
        keep = energy >= np.percentile(energy, 50)
        return dct(mel[:, keep], type=2, norm="ortho", axis=0)[1 : n_coefficients + 1].T

    ref, est = loud_mfcc(reference), loud_mfcc(estimate)
    distances = np.sqrt(((est[:, None, :] - ref[None, :, :]) ** 2).sum(axis=2))
    return float(distances.min(axis=1).mean())


def note_pitch_accuracy(estimate: Audio, notes, *, tolerance_cents: float = 50.0) -> tuple[float, float]:
    """(raw pitch accuracy, raw chroma accuracy) of the re-tracked output against target notes.

    The output is tracked with the accurate F0 method; frames in the middle 15–85 % of each sung note
    count; a frame is correct when voiced and within ``tolerance_cents`` of the note (chroma: of the
    note in any octave). Definition: ARCHITECTURE.md, "Pitch accuracy of an output".
    """
    track = features.f0(estimate, method="accurate")
    pitch, chroma = [], []
    for note in notes:
        if note.midi is None:
            continue
        inside = (track.times >= note.onset + 0.15 * note.duration) & (
            track.times <= note.onset + 0.85 * note.duration
        )
        hz = track.hz[inside]
        target = 440.0 * 2 ** ((note.midi - 69) / 12)
        cents = np.where(hz > 0, 1200 * np.log2(np.maximum(hz, 1e-9) / target), np.inf)
        pitch += list(np.abs(cents) <= tolerance_cents)
        finite = np.isfinite(cents)
        octave_folded = np.full(len(cents), np.inf)
        octave_folded[finite] = np.abs((cents[finite] + 600) % 1200 - 600)
        chroma += list(octave_folded <= tolerance_cents)
    if not pitch:
        return float("nan"), float("nan")
    return float(np.mean(pitch)), float(np.mean(chroma))
