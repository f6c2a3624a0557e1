"""Predicted over true speech length per utterance for flow checkpoints (the first 20 pairs of each split):
`python results/retrain_pjs/flow_length/length_ratio.py CKPT [CKPT …]` (from the repository root, PYTHONPATH=.).

"labelled units": runs of the labelled sung phone (as in training); "found units": runs of the smoothed
posteriorgram argmax (as at inference). Also exp of the per-unit RMS error of log(1 + frames) against the
monotonic search's durations (labelled units): the duration predictor's own fit, as the factor a unit's
predicted length is typically off by.
"""

import sys

import numpy as np
import torch

from models.base import load_model
from models.s2s_flow.data import SPEC, load_split
from models.s2s_flow.mas import maximum_path
from models.s2s_flow.model import (
    MEL_CENTER,
    MEL_SCALE,
    S2SFlow,
    S2SFlowConfig,
    segments_from_labels,
    smooth_labels,
)
from models.s2s_flow.train import alignment_logp, to_tensors

SPLITS = (("corpora/pjs", "train"), ("corpora/pjs", "valid"), ("corpora/synthetic", "train"))


def ratios(net: S2SFlow, example) -> tuple[float, float, float]:
    pair = to_tensors(example, net.cfg.squeeze)
    frames = pair["speech"].shape[2]
    h, logits = net.encoder(pair["singing"])
    labelled = segments_from_labels(pair["phones"][0].numpy(), min_frames=1)
    mu, log_duration = net.prior(h, logits, labelled)
    target = (pair["speech"][0] - MEL_CENTER) / MEL_SCALE
    searched = maximum_path(alignment_logp(target, mu[0]).numpy()).sum(axis=1)
    fit = float(np.exp(np.sqrt(np.mean((log_duration[0].numpy() - np.log1p(searched)) ** 2))))
    found = segments_from_labels(smooth_labels(logits[0].argmax(dim=0).numpy()))
    _, found_duration = net.prior(h, logits, found)
    return (
        float(np.expm1(log_duration[0].numpy()).sum() / frames),
        float(np.expm1(found_duration[0].numpy()).sum() / frames),
        fit,
    )


if __name__ == "__main__":
    torch.set_num_threads(1)
    print(
        "| checkpoint | split | predicted / true, labelled units | found units | per-unit factor off, exp(RMS) |"
    )
    print("|---|---|---|---|---|")
    for path in sys.argv[1:]:
        net, _ = load_model(
            path, model="s2s_flow", feature_spec=SPEC, build=lambda c: S2SFlow(S2SFlowConfig(**c))
        )
        for root, split in SPLITS:
            with torch.no_grad():
                rows = np.array(
                    [ratios(net, e) for e in load_split(root, split, cache_dir="runs/cache")[:20]]
                )
            labelled, found, fit = rows.mean(axis=0)
            print(f"| {path} | {root} {split} | {labelled:.3f} | {found:.3f} | {fit:.2f} |")
