"""Objective metrics, each computed the way its source computes it (definitions in ARCHITECTURE.md).

Spectral: ``lsd_icassp``, ``lsd_db``, ``mcd`` (mel-cepstral distortion with DTW). Pitch of an output:
``pitch_scores`` (raw pitch / raw chroma accuracy by mir_eval, F0 RMSE in cents, voicing decision error);
speech-likeness of an output's intonation: ``intonation`` (F0 range, declination).
Intelligibility lives in :mod:`evaluation.intelligibility`, speaker similarity in :mod:`evaluation.speaker`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from models import features
from models.dtw import dtw, pairwise_euclidean
from models.features import LSD_STFT, Audio, F0Track
from models.melody import Note, midi_to_hz

#: Band of both LSD variants: STFT bins 7–219 at 16 kHz / 1024 points (109–3422 Hz), inclusive.
LSD_BINS = slice(7, 220)


# ---------------------------------------------------------------------------------------------------------
# Log-spectral distances


def rms_matched(reference: Audio, estimate: Audio) -> Audio:
    """``estimate`` scaled so that its RMS equals the reference's (left as it is when silent): a level
    difference alone must not move a spectral distance (both LSDs depend on level; quieter scored better)."""
    est_rms = float(np.sqrt(np.mean(np.square(estimate.samples, dtype=np.float64))))
    ref_rms = float(np.sqrt(np.mean(np.square(reference.samples, dtype=np.float64))))
    if est_rms == 0.0 or ref_rms == 0.0:
        return estimate
    return Audio((estimate.samples * (ref_rms / est_rms)).astype(np.float32), estimate.sr)


def _lsd_magnitudes(reference: Audio, estimate: Audio) -> tuple[np.ndarray, np.ndarray]:
    """Band magnitudes of the reference and of the estimate over the reference's frames: the estimate is
    cut to the reference's length, RMS-matched to the part of the reference it covers (so a tail past the
    reference's end cannot move its level), and a missing tail counts as silence (so a truncated output
    is penalised, not rewarded)."""
    rate = LSD_STFT.sample_rate
    ref_samples = features.to_rate(reference, rate).samples
    est_samples = features.to_rate(estimate, rate).samples[: len(ref_samples)]
    est_samples = rms_matched(Audio(ref_samples[: len(est_samples)], rate), Audio(est_samples, rate)).samples
    est_samples = np.pad(est_samples, (0, len(ref_samples) - len(est_samples)))

    def band(samples: np.ndarray) -> np.ndarray:
        return np.abs(features.stft(samples, LSD_STFT)[LSD_BINS]).astype(np.float64)  # |S|, no floor

    if not len(ref_samples):
        raise ValueError("LSD needs a reference with at least one sample")
    return band(ref_samples), band(est_samples)


def lsd_from_magnitudes(*, reference: np.ndarray, estimate: np.ndarray, variant: str = "icassp") -> float:
    """Either LSD on two magnitude spectrograms (bins, frames) already cut to the band and to equal length.

    ``"icassp"``: mean over frames of sqrt(Σ_bins (ln(0.1 + |S_ref|) − ln(0.1 + |S_est|))²).
    ``"db"``: mean over frames of sqrt(mean_bins (20·log10(|S_ref| + 1e-8) − 20·log10(|S_est| + 1e-8))²).
    """
    ref, est = np.asarray(reference, dtype=np.float64), np.asarray(estimate, dtype=np.float64)
    if variant == "icassp":
        diff = np.log(0.1 + ref) - np.log(0.1 + est)
        return float(np.mean(np.sqrt(np.sum(diff**2, axis=0))))
    if variant == "db":
        diff = 20 * np.log10(ref + 1e-8) - 20 * np.log10(est + 1e-8)
        return float(np.mean(np.sqrt(np.mean(diff**2, axis=0))))
    raise ValueError(f"unknown LSD variant {variant!r}; use 'icassp' or 'db'")


def lsd_icassp(reference: Audio, estimate: Audio) -> float:
    """Log-spectral distance of the ICASSP 2020 code (Parekh, Rao, Yang, "Speech-to-singing conversion in
    an encoder-decoder framework", its evaluation script), comparable in scale to its Table 1.

    Both signals at 16 kHz; |STFT| with n_fft = win = 1024 (Hann), hop 128; L = ln(0.1 + |S|); bins 7–219
    (109–3422 Hz); per frame sqrt(Σ_bins (L_ref − L_est)²); mean over frames. Two departures from that
    script, both so that a system cannot game the score: the estimate is RMS-matched to the reference first
    (:func:`rms_matched`), and frames run over the reference's length (a missing tail of the estimate is
    silence; the script cut the estimate to the reference and failed on a shorter one). Frames follow
    :func:`models.features.stft` (reflect pad (n_fft − hop) / 2).
    """
    ref, est = _lsd_magnitudes(reference, estimate)
    return lsd_from_magnitudes(reference=ref, estimate=est, variant="icassp")


def lsd_db(reference: Audio, estimate: Audio) -> float:
    """Log-spectral distance in dB (ARCHITECTURE.md ``lsd_db``; the RMS-over-bins form of speech bandwidth
    extension and enhancement work, e.g. Kuleshov et al. 2017 — not AlignSTS's ``lsd1``, which is
    20·log10 of a power ratio over all bins above 100 Hz): L = 20·log10(|S| + 1e-8) with the STFT, band,
    RMS matching and reference-length framing of :func:`lsd_icassp`;
    per frame sqrt(mean_bins (L_ref − L_est)²); mean over frames.
    """
    ref, est = _lsd_magnitudes(reference, estimate)
    return lsd_from_magnitudes(reference=ref, estimate=est, variant="db")


# ---------------------------------------------------------------------------------------------------------
# Mel-cepstral distortion

#: 10·√2 / ln 10: turns a Euclidean distance of SPTK-convention natural-log mel-cepstra (c1…cM) into dB,
#: MCD = (10 / ln 10)·sqrt(2·Σ (c_m − ĉ_m)²) (Kubichek 1993; the form of ESPnet's and most toolkits' MCD).
MCD_CONSTANT = 10.0 * math.sqrt(2.0) / math.log(10.0)
MCEP_ORDER = 24
#: MCD reads the 0–8 kHz band at 16 kHz, with the all-pass constant that approximates the mel scale at that
#: rate (SPTK's table of α by rate). Why not 22.05 kHz, the app's rate: the corpus and the bundled examples
#: are 16 kHz recordings, empty above 8 kHz, and HiFi-GAN or WORLD fill that band with a faint floor that
#: log envelopes count as heavily as a formant: at 22.05 kHz HiFi-GAN copy synthesis of corpus speech scored
#: 4–6× worse than at 16 kHz, and worse than Griffin-Lim (results/metrics/mcd_band.md).
MCEP_ALPHA = 0.42
MCEP_SAMPLE_RATE = 16000
#: frames more than this far under a signal's loudest frame are silence and left out of MCD
MCD_SILENCE_DB = 40.0


def mel_cepstrum_from_envelope(
    *, envelope: np.ndarray, order: int = MCEP_ORDER, alpha: float = MCEP_ALPHA
) -> np.ndarray:
    """Mel-cepstra c0…c_order (T, order + 1) of power spectral envelopes (T, bins over 0…π), in SPTK's
    convention (as pysptk's ``sp2mc`` computes them).

    The log amplitude L(ω) = ½·ln envelope is read on the all-pass-warped axis
    ω̃ = ω + 2·atan(α·sin ω / (1 − α·cos ω)) (so ω = ω̃ − 2·atan(α·sin ω̃ / (1 + α·cos ω̃))), and
    c_0 = (1/π)·∫_0^π L dω̃, c_m = (2/π)·∫_0^π L(ω(ω̃))·cos(m·ω̃) dω̃ for m ≥ 1 (trapezoid rule), i.e.
    L = c0 + Σ_{m≥1} c_m·cos(m·ω̃): SPTK's H(z) = exp Σ c_m·z̃^(−m), natural-log units. (Before issue 20
    these were the symmetric real cepstrum, L = c0 + 2·Σ c_m·cos, whose c_m are half as large, and every
    MCD was half the standard value.)
    """
    envelope = np.asarray(envelope, dtype=np.float64)
    n_bins = envelope.shape[1]
    log_amp = 0.5 * np.log(np.maximum(envelope, 1e-20))
    warped = np.linspace(0.0, np.pi, n_bins)
    linear = warped - 2 * np.arctan(alpha * np.sin(warped) / (1 + alpha * np.cos(warped)))
    position = np.clip(linear / np.pi * (n_bins - 1), 0, n_bins - 1)
    lower = np.minimum(position.astype(int), n_bins - 2)
    frac = position - lower
    on_warped = log_amp[:, lower] * (1 - frac) + log_amp[:, lower + 1] * frac
    weights = np.full(n_bins, np.pi / (n_bins - 1))
    weights[[0, -1]] /= 2
    scale = np.full(order + 1, 2.0 / np.pi)
    scale[0] = 1.0 / np.pi
    basis = np.cos(np.arange(order + 1)[:, None] * warped[None, :]) * weights * scale[:, None]
    return on_warped @ basis.T


def mel_cepstrum(
    audio: Audio, *, order: int = MCEP_ORDER, alpha: float = MCEP_ALPHA, sample_rate: int = MCEP_SAMPLE_RATE
) -> np.ndarray:
    """Mel-cepstra (T, order + 1) of the WORLD CheapTrick envelopes (5 ms frames) at ``sample_rate``,
    with the frames more than ``MCD_SILENCE_DB`` under the loudest one removed."""
    import pyworld

    from models.world import FRAME_MS

    # The envelope half of models.world.analyse: the aperiodicity (D4C) is not needed here.
    signal = features.to_rate(audio, sample_rate)
    track = features.f0(signal, method="fast", hop_s=FRAME_MS / 1000)
    envelope = pyworld.cheaptrick(signal.samples.astype(np.float64), track.hz, track.times, signal.sr)
    energy_db = 10 * np.log10(envelope.sum(axis=1) + 1e-20)
    loud = energy_db >= energy_db.max() - MCD_SILENCE_DB
    return mel_cepstrum_from_envelope(envelope=envelope[loud], order=order, alpha=alpha)


def mcd_from_cepstra(*, reference: np.ndarray, estimate: np.ndarray, align: bool = True) -> float:
    """MCD in dB: (10·√2 / ln 10) · mean over aligned frame pairs of sqrt(Σ_{m=1..M} (c_m − ĉ_m)²), on
    SPTK-convention mel-cepstra (:func:`mel_cepstrum_from_envelope`).

    c0 (the level) is excluded. With ``align`` the pairs come from the DTW path (:func:`models.dtw.dtw`)
    on those same distances; without, frames are paired in order and the longer signal is truncated.
    """
    ref = np.asarray(reference, dtype=np.float64)[:, 1:]
    est = np.asarray(estimate, dtype=np.float64)[:, 1:]
    if not len(ref) or not len(est):
        return float("nan")
    if align:
        distances = pairwise_euclidean(a=ref, b=est)
        _, path = dtw(cost=distances)
        per_pair = distances[path[:, 0], path[:, 1]]
    else:
        n = min(len(ref), len(est))
        per_pair = np.sqrt(((ref[:n] - est[:n]) ** 2).sum(axis=1))
    return float(MCD_CONSTANT * per_pair.mean())


def mcd(reference: Audio, estimate: Audio, *, align: bool = True) -> float:
    """Mel-cepstral distortion (dB) with DTW: 24 mel-cepstra (c1…c24, c0 excluded) of the WORLD envelopes
    by all-pass warping with α = 0.42 at 16 kHz (:func:`mel_cepstrum`), constant 10·√2 / ln 10,
    mean over the DTW path between the two signals' non-silent frames (:func:`mcd_from_cepstra`)."""
    return mcd_from_cepstra(reference=mel_cepstrum(reference), estimate=mel_cepstrum(estimate), align=align)


# ---------------------------------------------------------------------------------------------------------
# Pitch of an output


@dataclass(frozen=True)
class PitchScores:
    """Pitch of an output against its target; NaN where nothing could be counted."""

    rpa: float  # raw pitch accuracy (mir_eval), 50 cents
    rca: float  # raw chroma accuracy (mir_eval), 50 cents, octave errors forgiven
    f0_rmse_cents: float  # over frames voiced in both
    vde: float  # voicing decision error: share of frames whose voiced/unvoiced call differs


def as_notes(notes: Iterable) -> list[Note]:
    """Notes as :class:`~models.melody.Note`, from Note objects or manifest ``[midi, onset_s, dur_s]`` rows."""
    return [
        n if isinstance(n, Note) else Note(None if n[0] is None else int(n[0]), n[1], n[2]) for n in notes
    ]


def _scores(est_hz: np.ndarray, ref_hz: np.ndarray, counted: np.ndarray, tolerance: float) -> PitchScores:
    import mir_eval

    est_cent = mir_eval.melody.hz2cents(np.maximum(est_hz, 0.0))  # 0 Hz → 0 cents: mir_eval counts it wrong
    ref_cent = mir_eval.melody.hz2cents(np.maximum(ref_hz, 0.0))
    est_voiced = (est_hz > 0).astype(float)
    if counted.any():
        args = (counted.astype(float), ref_cent, est_voiced, est_cent)
        rpa = float(mir_eval.melody.raw_pitch_accuracy(*args, cent_tolerance=tolerance))
        rca = float(mir_eval.melody.raw_chroma_accuracy(*args, cent_tolerance=tolerance))
    else:
        rpa = rca = float("nan")
    both = (est_hz > 0) & (ref_hz > 0)
    rmse = (
        float(np.sqrt(np.mean((1200 * np.log2(est_hz[both] / ref_hz[both])) ** 2))) if both.any() else np.nan
    )
    vde = float(np.mean((est_hz > 0) != (ref_hz > 0))) if len(ref_hz) else float("nan")
    return PitchScores(rpa, rca, rmse, vde)


def pitch_scores(*, estimate: F0Track, notes: Sequence, tolerance_cents: float = 50.0) -> PitchScores:
    """Pitch of a re-tracked output (ARCHITECTURE.md "Pitch accuracy of an output") against target notes
    ("RPA vs notes": used where no true singing exists).

    Reference: the notes' step contour at the track's frame times (0 Hz in rests and after the end).
    RPA / RCA (mir_eval.melody.raw_pitch_accuracy / raw_chroma_accuracy, Salamon et al. 2014): over the
    frames in the middle 15–85 % of each sung note, the share whose estimate is voiced and within
    ``tolerance_cents`` of the note (chroma: of the note in any octave). F0 RMSE (cents): sqrt of the mean
    of (1200·log2(f_est / f_ref))² over frames voiced in both. VDE (Nakatani et al. 2008): the share of
    frames up to the later of the melody's and the track's end whose voicing differs from the reference.
    A track that ends before the melody is unvoiced from its end on (its missing frames count as misses).
    """
    notes = [n for n in as_notes(notes) if n.midi is not None]
    hop = estimate.hop_s
    end = max([n.end for n in notes], default=0.0)
    n_frames = max(len(estimate.hz), int(np.ceil(end / hop)) + 1)
    times = np.arange(n_frames) * hop
    est_hz = np.zeros(n_frames)
    est_hz[: len(estimate.hz)] = np.asarray(estimate.hz, dtype=np.float64)
    ref_hz = np.zeros_like(est_hz)
    counted = np.zeros(len(times), dtype=bool)
    for note in notes:
        ref_hz[(times >= note.onset) & (times < note.end)] = midi_to_hz(note.midi)
        counted |= (times >= note.onset + 0.15 * note.duration) & (times <= note.onset + 0.85 * note.duration)
    return _scores(est_hz, ref_hz, counted, tolerance_cents)


def contour_scores(*, estimate: F0Track, reference: F0Track, tolerance_cents: float = 50.0) -> PitchScores:
    """The measures of :func:`pitch_scores` against a reference F0 contour, frame by frame (same hop),
    over the reference's length: RPA / RCA count every frame where the reference is voiced, and the
    estimate's frames past its end are unvoiced (misses), as in the ICASSP 2020 and AlignSTS papers."""
    ref_hz = np.asarray(reference.hz, dtype=np.float64)
    est_hz = np.zeros_like(ref_hz)
    n = min(len(ref_hz), len(estimate.hz))
    est_hz[:n] = np.asarray(estimate.hz[:n], dtype=np.float64)
    return _scores(est_hz, ref_hz, ref_hz > 0, tolerance_cents)


def given_contour_scores(*, estimate: F0Track, melody, tolerance_cents: float = 50.0) -> PitchScores:
    """Pitch of an output against the recorded contour it was given (a melody read from a recording),
    over the middle 15–85 % of each note read from that recording where the contour is voiced: the
    onsets belong to the speech's consonants, as with notes (ARCHITECTURE.md "Pitch accuracy")."""
    hop = estimate.hop_s
    given = melody.contour(hop).hz
    n = max(len(given), len(estimate.hz))
    times = np.arange(n) * hop
    ref_hz, est_hz = np.zeros(n), np.zeros(n)
    ref_hz[: len(given)] = given
    est_hz[: len(estimate.hz)] = np.asarray(estimate.hz, dtype=np.float64)
    counted = np.zeros(n, dtype=bool)
    for note in melody.sung_notes:
        counted |= (times >= note.onset + 0.15 * note.duration) & (times <= note.onset + 0.85 * note.duration)
    return _scores(est_hz, ref_hz, counted & (ref_hz > 0), tolerance_cents)


def pitch_track(audio: Audio) -> F0Track:
    """The accurate F0 track every pitch score reads (:func:`models.features.accurate_f0`)."""
    return features.accurate_f0(audio)


def true_pitch_scores(estimate: Audio, reference: Audio, *, tolerance_cents: float = 50.0) -> PitchScores:
    """Pitch of an output against the **true singing** (ARCHITECTURE.md "Pitch accuracy of an output",
    the papers' definition): both re-tracked with the accurate F0 method (:func:`pitch_track`), compared
    frame by frame over the reference's voiced frames (:func:`contour_scores`)."""
    return contour_scores(
        estimate=pitch_track(estimate), reference=pitch_track(reference), tolerance_cents=tolerance_cents
    )


def note_pitch_accuracy(estimate: Audio, notes, *, tolerance_cents: float = 50.0) -> tuple[float, float]:
    """(raw pitch accuracy, raw chroma accuracy) of ``estimate`` re-tracked with the accurate F0 method,
    against target notes: :func:`pitch_scores` (mir_eval; middle 15–85 % of each note)."""
    scores = pitch_scores(
        estimate=features.f0(estimate, method="accurate"), notes=notes, tolerance_cents=tolerance_cents
    )
    return scores.rpa, scores.rca


@dataclass(frozen=True)
class Intonation:
    """How speech-like an F0 contour is: its range and its declination (NaN with under 10 voiced frames)."""

    range_st: float  # 5th–95th percentile span of the voiced F0, semitones
    slope_st_per_s: float  # declination: least-squares slope of voiced F0 (semitones) against time


def intonation(track: F0Track) -> Intonation:
    """Speech-likeness of an F0 track. Speech spans roughly 4–12 semitones per phrase and falls (a
    negative slope, declination); a singing-to-speech output that keeps the tune spans more and
    does not fall. Compare with the true speech's values, measured the same way."""
    voiced = np.asarray(track.hz) > 0
    if voiced.sum() < 10:
        return Intonation(math.nan, math.nan)
    semitones = 12 * np.log2(np.asarray(track.hz)[voiced] / 100.0)
    times = np.asarray(track.times)[voiced]
    low, high = np.percentile(semitones, [5, 95])
    slope = float(np.polyfit(times, semitones, 1)[0]) if np.ptp(times) > 0 else math.nan
    return Intonation(float(high - low), slope)


def f0_error_cents(reference: Audio, estimate: Audio, *, statistic: str = "median") -> float:
    """Absolute F0 difference in cents, |1200·log2(f_est / f_ref)|, over frames voiced in both signals
    (accurate F0 method, same hop, no time alignment). ``statistic`` is ``"median"`` or ``"mean"``.
    Returns NaN when no frame is voiced in both. Used for vocoder copy-synthesis, where timing is equal.
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
    A project measure (no outside source): a timing-free check that a converter kept the voice.
    """
    from scipy.fft import dct

    def loud_mfcc(audio: Audio) -> np.ndarray:
        mel = features.log_mel(audio)
        energy = mel.max(axis=0)
        keep = energy >= np.percentile(energy, 50)
        return dct(mel[:, keep], type=2, norm="ortho", axis=0)[1 : n_coefficients + 1].T

    ref, est = loud_mfcc(reference), loud_mfcc(estimate)
    distances = np.sqrt(((est[:, None, :] - ref[None, :, :]) ** 2).sum(axis=2))
    return float(distances.min(axis=1).mean())


def rhythm_distance(reference: Audio, estimate: Audio) -> float:
    """AlignSTS's rhythm-representation distance, per frame: r = sigmoid(400 · z-score of the frame energy)
    of each signal's HiFi-GAN mel, smoothed by a Gaussian of σ 1.5 frames (AlignSTS's evaluation), then the
    RMS of r_ref − r_est over the frames both have. AlignSTS reports the Euclidean norm over the whole
    sequence, which grows with length; the RMS is that norm ÷ √frames. 0 = same sound/silence pattern."""
    from scipy.ndimage import gaussian_filter1d

    from models.rhythm import rhythm_of_mel

    def envelope(audio: Audio) -> np.ndarray:
        mel = features.log_mel(audio)
        return gaussian_filter1d(rhythm_of_mel(mel, sharpness=400.0), 1.5)

    a, b = envelope(reference), envelope(estimate)
    n = min(len(a), len(b))
    return float(np.sqrt(np.mean((a[:n] - b[:n]) ** 2))) if n else float("nan")
