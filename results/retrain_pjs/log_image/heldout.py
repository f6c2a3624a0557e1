"""The CI rows of tests/test_checkpoints_trained.py, with their values, for the bundled ICASSP 2020 checkpoints:
`PYTHONPATH=. python results/retrain_pjs/log_image/heldout.py > results/retrain_pjs/log_image/heldout.md`."""

import numpy as np

from evaluation.metrics import lsd_icassp, note_pitch_accuracy, true_pitch_scores
from models.melody import Melody, from_recording
from models.registry import default_registry
from tests.test_checkpoints_trained import floors, heldout, heldout_pjs

if __name__ == "__main__":
    lsd_stretched, lsd_sine, _ = floors()
    print("| checkpoint | held-out synthetic: LSD (icassp) | RPA vs notes | two PJS test pairs: RCA (each) |")
    print("|---|---|---|---|")
    for name in ("parekh-mtl", "parekh-mse", "parekh-b2"):
        converter = default_registry().get(name)
        lsd, rpa = [], []
        for _, speech, singing, notes in heldout():
            output = converter.convert(speech, melody=Melody(tuple(notes))).audio
            lsd.append(lsd_icassp(singing, output))
            rpa.append(note_pitch_accuracy(output, notes)[0])
        rca = [
            true_pitch_scores(converter.convert(speech, melody=from_recording(singing)).audio, singing).rca
            for speech, singing in heldout_pjs()
        ]
        each = ", ".join(f"{r:.2f}" for r in rca)
        print(f"| {name} | {np.mean(lsd):.2f} | {np.mean(rpa):.2f} | {np.mean(rca):.2f} ({each}) |")
    print(f"\nFloors: stretched speech LSD {lsd_stretched:.2f}, sine at the notes {lsd_sine:.2f}.")
