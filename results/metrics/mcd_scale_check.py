"""MCD before and after issue 20 on real pairs: the new (standard, SPTK-convention) value is exactly twice
the old (half-scale) one.

Before issue 20 ``mel_cepstrum_from_envelope`` computed the symmetric real cepstrum, L = c0 + 2·Σ c_m·cos,
with basis weight 1/π for every m; since then c_m (m ≥ 1) use 2/π (SPTK: L = c0 + Σ c_m·cos), so they
double. MCD excludes c0, so every frame distance doubles, the DTW path stays the same, and MCD doubles.
This script puts the old function back in place (monkeypatching ``evaluation.metrics``) to compute the old
value beside the new one on: the two example clips against each other and each against a pitch-shifted,
time-stretched copy of itself
(resampled, so formants move with the pitch), and three speech/singing pairs of tests/data/heldout_synthetic.

``PYTHONPATH=. python results/metrics/mcd_scale_check.py`` prints the table of mcd_scale.md.
"""

import json
from pathlib import Path

import numpy as np

import evaluation.metrics as metrics
from models import features
from models.features import Audio, load_audio

HELDOUT = Path("tests/data/heldout_synthetic")
NEW_CEPSTRUM = metrics.mel_cepstrum_from_envelope


def old_mel_cepstrum_from_envelope(
    *, envelope: np.ndarray, order: int = metrics.MCEP_ORDER, alpha: float = metrics.MCEP_ALPHA
) -> np.ndarray:
    """``mel_cepstrum_from_envelope`` as it was before issue 20: basis weight 1/π for every m (symmetric
    real cepstrum, c_m for m ≥ 1 half of SPTK's)."""
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
    basis = np.cos(np.arange(order + 1)[:, None] * warped[None, :]) * weights / np.pi
    return on_warped @ basis.T


def old_and_new_mcd(reference: Audio, estimate: Audio) -> tuple[float, float]:
    """(old half-scale MCD, current MCD) of one pair, both by ``evaluation.metrics.mcd``."""
    metrics.mel_cepstrum_from_envelope = old_mel_cepstrum_from_envelope
    try:
        old = metrics.mcd(reference, estimate)
    finally:
        metrics.mel_cepstrum_from_envelope = NEW_CEPSTRUM
    return old, metrics.mcd(reference, estimate)


def shifted_and_stretched(audio: Audio, semitones: float, length_factor: float) -> Audio:
    """A copy ``semitones`` higher (resampled, so the formants move too) and ``length_factor`` times as
    long (phase-vocoder stretch)."""
    ratio = 2.0 ** (semitones / 12)
    raised = features.resample(audio.samples, audio.sr, round(audio.sr / ratio))  # played at audio.sr
    return features.stretch_to_length(Audio(raised, audio.sr), round(len(audio.samples) * length_factor))


def pairs() -> list[tuple[str, Audio, Audio]]:
    slt = load_audio("examples/speech_arctic_slt_a0009.wav")
    awb = load_audio("examples/speech_arctic_awb_a0007.wav")
    chosen = [
        ("slt a0009 vs awb a0007", slt, awb),
        ("slt a0009 vs itself resampled +3 st, ×1.2 long", slt, shifted_and_stretched(slt, 3, 1.2)),
        ("awb a0007 vs itself resampled −2 st, ×0.85 long", awb, shifted_and_stretched(awb, -2, 0.85)),
    ]
    with open(HELDOUT / "manifest.jsonl") as manifest:
        rows = [json.loads(line) for line in manifest if line.strip()][:3]
    for row in rows:
        speech, singing = (load_audio(HELDOUT / row[key]) for key in ("speech_wav", "singing_wav"))
        chosen.append((f"heldout {row['id']} speech vs singing", speech, singing))
    return chosen


def known_answer() -> tuple[float, float]:
    """(old, new) MCD of a log-amplitude change 0.2·cos(3ω̃) on the warped axis, whose standard MCD is
    (20 / ln 10)·0.2 / √2 = 1.2284 dB (the RMS change of the log spectrum; tests/test_metrics.py)."""
    alpha = metrics.MCEP_ALPHA
    omega = np.linspace(0, np.pi, 1025)
    warped = omega + 2 * np.arctan(alpha * np.sin(omega) / (1 - alpha * np.cos(omega)))
    base = 0.5 - 0.3 * np.cos(warped) + 0.1 * np.cos(2 * warped)
    changed = base + 0.2 * np.cos(3 * warped)
    scores = []
    for cepstrum in (old_mel_cepstrum_from_envelope, NEW_CEPSTRUM):
        ref, est = (cepstrum(envelope=np.exp(2 * log_amp)[None, :]) for log_amp in (base, changed))
        scores.append(metrics.mcd_from_cepstra(reference=ref, estimate=est, align=False))
    return scores[0], scores[1]


def main() -> None:
    print("| pair | old MCD (half scale) | new MCD (standard) | new / old |")
    print("|---|---|---|---|")
    old, new = known_answer()
    print(f"| known answer 0.2·cos(3ω̃) (by hand 1.22837) | {old:.5f} | {new:.5f} | {new / old:.9f} |")
    ratios = [new / old]
    for name, reference, estimate in pairs():
        old, new = old_and_new_mcd(reference, estimate)
        ratios.append(new / old)
        print(f"| {name} | {old:.4f} | {new:.4f} | {new / old:.9f} |")
    print(f"\nlargest |ratio − 2|: {max(abs(r - 2) for r in ratios):.1e}")


if __name__ == "__main__":
    main()
