"""Where B2's LSD (icassp) goes on PJS valid (exponent 1.5): the reference's frames split into voiced (its
contour), silent (45 dB under its loudest frame) and unvoiced, with each class's share and per-frame LSD.

    PYTHONPATH=. python results/retrain_pjs/sharpen/where.py
"""

import numpy as np

from evaluation.benchmark.items import corpus_items
from evaluation.metrics import _lsd_magnitudes
from models.features import LSD_STFT
from models.parekh.converter import ParekhConverter
from models.parekh.data import SPEC
from models.vocoders import GriffinLim


def main() -> None:
    conv = ParekhConverter("models/checkpoints/parekh-b2.pt")
    frames, total = {}, {}
    for item in corpus_items("corpora/pjs", split="valid"):
        melody = item.reference_melody()
        out = GriffinLim(spec=SPEC, n_iter=32, power=1.5).synthesize(
            conv.singing_spectrogram(item.speech, melody)
        )
        ref, est = _lsd_magnitudes(item.singing, out)
        per_frame = np.sqrt(((np.log(0.1 + ref) - np.log(0.1 + est)) ** 2).sum(0))
        voiced = melody.contour(LSD_STFT.hop_length / LSD_STFT.sample_rate).hz[: len(per_frame)] > 0
        voiced = np.pad(voiced, (0, len(per_frame) - len(voiced)))
        level = 20 * np.log10(ref.sum(0) + 1e-9)
        kind = np.where(voiced, "voiced", np.where(level < level.max() - 45, "silent", "unvoiced"))
        for name in ("voiced", "unvoiced", "silent"):
            frames[name] = frames.get(name, 0) + int((kind == name).sum())
            total[name] = total.get(name, 0.0) + float(per_frame[kind == name].sum())
    n = sum(frames.values())
    print("| frames | share | LSD per frame | share of the mean |\n|---|---|---|---|")
    for name in frames:
        print(
            f"| {name} | {frames[name] / n:.2f} | {total[name] / frames[name]:.2f} | {total[name] / n:.2f} |"
        )


if __name__ == "__main__":
    main()
