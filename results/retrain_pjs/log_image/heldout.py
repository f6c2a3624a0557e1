"""The CI rows of tests/test_checkpoints_trained.py, with their values, for the bundled ICASSP 2020 checkpoints:
`PYTHONPATH=. python results/retrain_pjs/log_image/heldout.py > results/retrain_pjs/log_image/heldout.md`."""

import numpy as np

from models.registry import default_registry
from tests.test_checkpoints_trained import floors, heldout_scores, real_singer_rca

if __name__ == "__main__":
    lsd_stretched, lsd_sine, _ = floors()
    print("| checkpoint | held-out synthetic: LSD (icassp) | RPA vs notes | two PJS test pairs: RCA (each) |")
    print("|---|---|---|---|")
    for name in ("parekh-mtl", "parekh-mse", "parekh-b2"):
        converter = default_registry().get(name)
        lsd, rpa = heldout_scores(converter)
        rca = real_singer_rca(converter)
        each = ", ".join(f"{r:.2f}" for r in rca)
        print(f"| {name} | {np.mean(lsd):.2f} | {np.mean(rpa):.2f} | {np.mean(rca):.2f} ({each}) |")
    print(f"\nFloors: stretched speech LSD {lsd_stretched:.2f}, sine at the notes {lsd_sine:.2f}.")
