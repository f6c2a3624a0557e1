"""Speech / singing length of every pair of the synthetic corpus and PJS (all splits), the figures behind the
hostile-input suite's singing → speech floor (tests/test_hostile_inputs.py):
`PYTHONPATH=. python results/retrain_pjs/flow_length/speech_singing_ratio.py` from the repository root.
Lengths in HiFi-GAN mel frames, as the flow model sees them (features cached in runs/cache).
"""

import numpy as np

from models.s2s_flow.data import load_split

CORPORA = ("corpora/synthetic", "corpora/pjs")


def row(name: str, ratio: np.ndarray) -> str:
    p5, median = np.percentile(ratio, [5, 50])
    cells = [len(ratio), f"{ratio.mean():.3f}", f"{p5:.3f}", f"{median:.3f}", f"{ratio.min():.3f}"]
    return f"| {name} | " + " | ".join(map(str, cells)) + f" | {(ratio < 1 / 3).mean():.2f} |"


if __name__ == "__main__":
    print("| corpus | pairs | mean | 5th percentile | median | least | share under 1/3 |")
    print("|---|---|---|---|---|---|---|")
    every = []
    for root in CORPORA:
        examples = [
            e for split in ("train", "valid", "test") for e in load_split(root, split, cache_dir="runs/cache")
        ]
        every.append(np.array([e.speech.shape[1] / e.singing.shape[1] for e in examples]))
        print(row(root, every[-1]))
    print(row("both", np.concatenate(every)))
