"""AlignSTS's pitch on the CI's held-out synthetic items through each vocoder and HiFi-GAN precision (the
numbers of README.md): ``python results/alignsts/vocoder_pitch/heldout.py`` from the repository root.
bf16 runs on PyTorch, emulated where the CPU lacks it (minutes)."""

import os
import sys

sys.path.insert(0, os.getcwd())

import numpy as np

from models import features
from models.melody import midi_to_hz
from models.registry import default_registry
from models.vocoders import hifigan
from tests.test_checkpoints_trained import heldout, heldout_outputs, heldout_scores


def median_note_error_cents(audio, notes) -> float:
    """The median over notes of each note's median F0 error (middle 15–85 %), in cents."""
    track = features.f0(audio, method="accurate")  # the track note_pitch_accuracy scores
    hz, times = np.asarray(track.hz), np.asarray(track.times)
    errors = []
    for note in notes:
        if note.midi is None:
            continue
        inside = (times >= note.onset + 0.15 * note.duration) & (times <= note.onset + 0.85 * note.duration)
        inside &= hz > 0
        if inside.any():
            errors.append(np.median(1200 * np.log2(hz[inside] / midi_to_hz(note.midi))))
    return float(np.median(errors))


if __name__ == "__main__":
    converter = default_registry().get("alignsts")
    print(
        "| vocoder | LSD (icassp), each | RPA vs notes, each | mean RPA | median note error (cents), each |"
    )
    print("|---|---|---|---|---|")
    for vocoder, precision in (("hifigan", "fp32"), ("hifigan", "bf16"), ("griffinlim", "—")):
        if vocoder == "hifigan":
            os.environ["SONGBRIDGE_HIFIGAN_PRECISION"] = precision
            # OpenVINO runs a bf16 request in fp32 on a CPU without bf16; PyTorch emulates it
            os.environ["SONGBRIDGE_HIFIGAN_RUNTIME"] = "torch" if precision == "bf16" else "auto"
            hifigan.cache_clear()
        options = converter.Options(vocoder=vocoder)
        outputs = heldout_outputs(converter, options)  # once, for both the scores and the note errors
        lsd, rpa = heldout_scores(converter, outputs=outputs)
        cents = [
            median_note_error_cents(output, notes)
            for (*_, notes), output in zip(heldout(), outputs, strict=True)
        ]
        name = f"{vocoder} ({precision})" if vocoder == "hifigan" else vocoder
        print(
            f"| {name} | {', '.join(f'{v:.2f}' for v in lsd)} | {', '.join(f'{v:.2f}' for v in rpa)} "
            f"| {np.mean(rpa):.2f} | {', '.join(f'{c:+.0f}' for c in cents)} |",
            flush=True,
        )
