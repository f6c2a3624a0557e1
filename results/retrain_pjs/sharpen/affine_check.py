"""Is the exponent's gain a bias of the network's log domain? Fit, per frequency bin, the MSE-best affine map
from B2's predicted ln(0.1 + |S|) to the true singing's (LSD's own domain) on PJS **train**, apply it to PJS
valid, and voice it with Griffin-Lim (exponent 1.0 and 1.2) beside the exponent 1.5 alone. Prints per item.

    PYTHONPATH=. python results/retrain_pjs/sharpen/affine_check.py
"""

import numpy as np

from evaluation.benchmark.items import corpus_items
from evaluation.metrics import lsd_icassp
from models import features
from models.parekh.converter import ParekhConverter
from models.parekh.data import SPEC
from models.vocoders import GriffinLim


def log_magnitude(log1p: np.ndarray) -> np.ndarray:
    return np.log(0.1 + np.expm1(log1p))


def main() -> None:
    conv = ParekhConverter("models/checkpoints/parekh-b2.pt")
    sx, sy, sxx, sxy = (np.zeros(513) for _ in range(4))
    n = 0
    for item in corpus_items("corpora/pjs", split="train"):
        pred = conv.singing_spectrogram(item.speech, item.reference_melody())
        true = features.spectrogram(features.to_rate(item.singing, SPEC.sample_rate), SPEC)
        frames = min(pred.shape[1], true.shape[1])
        x, y = log_magnitude(pred[:, :frames]), log_magnitude(true[:, :frames])
        sx, sy, sxx, sxy, n = (
            sx + x.sum(1),
            sy + y.sum(1),
            sxx + (x * x).sum(1),
            sxy + (x * y).sum(1),
            n + frames,
        )
    mx, my = sx / n, sy / n
    slope = (sxy / n - mx * my) / (sxx / n - mx * mx)
    offset = my - slope * mx
    print(
        "slope over the LSD band, 5/50/95 %:", np.percentile(slope[7:220], [5, 50, 95]).round(2), "frames", n
    )
    for item in corpus_items("corpora/pjs", split="valid"):
        pred = conv.singing_spectrogram(item.speech, item.reference_melody())
        mapped = slope[:, None] * log_magnitude(pred) + offset[:, None]
        post = np.log1p(np.maximum(np.exp(mapped) - 0.1, 0))
        outputs = {
            "p1.5": GriffinLim(spec=SPEC, n_iter=32, power=1.5).synthesize(pred),
            "affine": GriffinLim(spec=SPEC, n_iter=32, power=1.0).synthesize(post),
            "affine p1.2": GriffinLim(spec=SPEC, n_iter=32, power=1.2).synthesize(post),
        }
        print(item.id, {k: round(lsd_icassp(item.singing, v), 3) for k, v in outputs.items()}, flush=True)


if __name__ == "__main__":
    main()
