"""How well can a perfect decoder read the target pitch back from each melody image? (PJS test)

`PYTHONPATH=. python results/retrain_pjs/melody_image_ceiling.py`: for every PJS test song, the true
singing's F0 (pYIN, as the benchmark tracks it) is drawn into each image kind, read back (the binary image
at its bin's centre, the log image at its bump's centre of mass) and scored as RCA against the F0 itself.
"""

import numpy as np

from evaluation import metrics
from models import features
from models.corpus.manifest import audio_path, read_manifest
from models.parekh.data import SPEC, f0_from_log_rows, melody_image


def read_back(f0: np.ndarray, kind: str) -> np.ndarray:
    image = melody_image(f0, kind)[:-1]
    if kind == "binary":
        return (image.argmax(0) + 0.5) * SPEC.sample_rate / SPEC.n_fft
    return f0_from_log_rows(image)


def chroma_hits(estimate: np.ndarray, truth: np.ndarray) -> np.ndarray:
    cents = np.abs(1200 * np.log2(estimate / truth)) % 1200
    return np.minimum(cents, 1200 - cents) <= 50


if __name__ == "__main__":
    root = "corpora/pjs"
    rows = []
    for pair in read_manifest(root, split="test"):
        track = metrics.pitch_track(features.load_audio(audio_path(root, pair.singing_wav)))
        f0 = track.hz[track.hz > 0]
        rows.append(
            (pair.id, np.median(f0), *(chroma_hits(read_back(f0, k), f0).mean() for k in ("binary", "log")))
        )
    print("| song | median F0 (Hz) | binary image read back: RCA | log image read back: RCA |")
    print("|---|---|---|---|")
    for song, median, binary, log in rows:
        print(f"| {song} | {median:.0f} | {binary:.3f} | {log:.3f} |")
    means = np.mean([r[2:] for r in rows], axis=0)
    print(f"| **mean of {len(rows)}** | | **{means[0]:.3f}** | **{means[1]:.3f}** |")
