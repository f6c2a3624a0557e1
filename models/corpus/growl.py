"""A "growl" rendering of a clean voice, frame-aligned with it: the targets of the voice-style VAE.

Metal growl, as described in the Scream Machine seed, has period doubling (subharmonics at F0/2),
much more noise in the source, lowered formants and a saturated, compressed level. Each is made
explicitly from WORLD parameters, so the clean and growl files share one time axis sample for sample.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.corpus.speakers import warp_envelope
from models.features import Audio
from models.world import FRAME_MS, WorldParams, match_level, synthesize


@dataclass(frozen=True)
class GrowlStyle:
    subharmonic_depth: float = 0.6  # amplitude modulation at F0/2 (0 = none, 1 = full)
    aperiodicity_raise: float = 0.45  # fraction of the periodic part turned into noise
    formant_warp: float = 0.9  # α < 1 lowers the formants
    drive: float = 3.0  # soft clipping gain before tanh


def random_style(rng: np.random.Generator) -> GrowlStyle:
    return GrowlStyle(
        subharmonic_depth=float(rng.uniform(0.45, 0.75)),
        aperiodicity_raise=float(rng.uniform(0.3, 0.6)),
        formant_warp=float(rng.uniform(0.86, 0.94)),
        drive=float(rng.uniform(2.0, 4.5)),
    )


def _half_f0_modulator(f0: np.ndarray, n_samples: int, sr: int) -> np.ndarray:
    """cos of a phase running at F0/2 (held through unvoiced frames): multiplying by it adds F0/2 partials."""
    frame_t = np.arange(len(f0)) * FRAME_MS / 1000
    voiced = f0 > 0
    held = np.interp(frame_t, frame_t[voiced], f0[voiced]) if voiced.any() else np.full(len(f0), 100.0)
    hz = np.interp(np.arange(n_samples) / sr, frame_t, held)
    return np.cos(np.pi * np.cumsum(hz) / sr)


def render_growl(clean: WorldParams, style: GrowlStyle) -> Audio:
    """The growl version of ``clean``'s parameters; the same length as ``synthesize(clean)``."""
    ap = 1.0 - (1.0 - clean.ap) * (1.0 - style.aperiodicity_raise)
    params = WorldParams(
        clean.f0, warp_envelope(clean.sp, style.formant_warp), np.ascontiguousarray(ap), clean.sr
    )
    voice = synthesize(params).samples.astype(np.float64)
    voiced_samples = np.repeat(clean.f0 > 0, int(round(clean.sr * FRAME_MS / 1000)))[: len(voice)]
    voiced_samples = np.pad(voiced_samples, (0, len(voice) - len(voiced_samples)))
    modulator = _half_f0_modulator(clean.f0, len(voice), clean.sr)
    voice = voice * np.where(voiced_samples, 1.0 + style.subharmonic_depth * modulator, 1.0)
    peak = max(float(np.max(np.abs(voice))), 1e-6)
    saturated = np.tanh(style.drive * voice / peak) / np.tanh(style.drive)
    return Audio(match_level(saturated, voice).astype(np.float32), clean.sr)
