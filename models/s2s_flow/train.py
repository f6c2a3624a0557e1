"""Training the generative-flow singing → speech model on a paired corpus.

Loss per pair (Glow-TTS's, plus the seed's phoneme term):
    MLE of the speech mel under the flow, with the frame prior N(μ_t, σ_t²) built on the alignment
    + the alignment term: ½‖x̂_t − μ_u‖² per mel band of the normalised speech mel x̂ under the unit the
      monotonic search gives each frame (it trains the coarse means the search runs on)
    + MSE of log(1 + speech frames) per unit (the duration predictor, on detached unit states)
    + ω · cross-entropy of the posteriorgram against the sung phone per frame, ω = 10 (the seed's weight)
    + optionally λ_len · (ln Σ_u (1 + d̂_u) − ln Σ_u (1 + d_u))², the utterance's predicted length against
      its true length T = Σ_u d_u, in the predictor's own log(1 + d) terms so it stays smooth where a unit's
      prediction is below zero frames (``--length-weight``, off by default). Why: the per-unit loss fits the
      mean of ln(1 + d), a geometric mean, so expm1 of it summed over units falls short of the true length
      (Jensen's inequality), the more so the more durations vary. Measured on the train split (labelled
      units) for the 0.25-PJS-share run trained without it: predicted / true length 0.94 on the synthetic
      corpus, 0.77 on PJS.
Units in training are the runs of the labelled sung phone; at inference, runs of the smoothed
posteriorgram argmax. Once the posteriorgram is usable (running cross-entropy < 1), half the pairs of
each batch use its own units too, so the prior and duration predictor learn on the units they will see
(over-segmented ones included, which the skipping search absorbs). Pairs are processed one at a time
(no padding masks) and their losses averaged.

Schedule, scaled to the 45-minute CPU budget: the seed trains 223 epochs then fine-tunes 60 at lr 1e-4.
Here the initial phase runs at Glow-TTS's peak rate (1e-3, its Noam schedule's maximum for d = 192) for
36 minutes and the fine-tuning phase resumes the same state at the seed's 1e-4 for 9 minutes (60/283 of
the time, the seed's share); see the model card for the two commands.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch.nn import functional as F

from models.base import Checkpoint, save_checkpoint
from models.s2s_flow.data import SPEC, Example, load_split
from models.s2s_flow.mas import DEFAULT_SKIP_PENALTY, maximum_path
from models.s2s_flow.model import (
    MEL_CENTER,
    MEL_SCALE,
    S2SFlow,
    S2SFlowConfig,
    parameter_count,
    segments_from_labels,
    smooth_labels,
)
from models.training.mix import CorpusMix, corpora_record, parse_shares

PHONE_WEIGHT = 10.0  # ω of the seed
#: once the posteriorgram's cross-entropy falls below this, half the pairs use its own units (as at inference)
PREDICTED_UNITS_BELOW_CE = 1.0
MAX_SINGING_FRAMES = 1600  # ~18.6 s; longer pairs are skipped (none in the 1 h corpus)


def alignment_logp(x: torch.Tensor, mu: torch.Tensor) -> torch.Tensor:
    """log N(x_t; μ_u, I) up to a constant for every (unit, frame): (C, T), (C, U) → (U, T)."""
    return -0.5 * ((mu**2).sum(0)[:, None] - 2 * mu.T @ x + (x**2).sum(0)[None, :])


def pair_losses(
    model: S2SFlow,
    example: dict,
    *,
    predicted_units: bool = False,
    skip_penalty: float = DEFAULT_SKIP_PENALTY,
) -> dict:
    """The loss terms of one pair: MLE, alignment, duration, cross-entropy and length.

    ``example``: tensors (1, n_mels, T) of singing and speech and (1, T_sing) of sung phones.

    ``predicted_units``: units from the posteriorgram as at inference, instead of the labelled phones.
    """
    h, logits = model.encoder(example["singing"])
    ce = F.cross_entropy(logits, example["phones"])
    if predicted_units:
        segments = segments_from_labels(smooth_labels(logits[0].detach().argmax(dim=0).numpy()))
    else:
        segments = segments_from_labels(example["phones"][0].numpy(), min_frames=1)
    mu, log_duration = model.prior(h, logits, segments)
    speech = example["speech"]
    target = (speech[0] - MEL_CENTER) / MEL_SCALE
    with torch.no_grad():
        path = torch.from_numpy(
            maximum_path(alignment_logp(target, mu[0]).numpy(), skip_penalty=skip_penalty)
        ).to(speech)
    frames_per_unit = path.sum(dim=1)
    align = 0.5 * ((target - mu[0] @ path) ** 2).mean()
    mean, log_sigma, cond = model.frame_features(
        example["singing"], h, mu, segments, frames_per_unit.long().numpy()
    )
    z, logdet = model.flow(speech, cond)
    n = z.shape[1] * z.shape[2]
    mle = (
        0.5 * (((z - mean) * torch.exp(-log_sigma)) ** 2).sum() + log_sigma.sum() - logdet[0]
    ) / n + 0.5 * math.log(2 * math.pi)
    duration = F.mse_loss(log_duration[0], torch.log1p(frames_per_unit))
    units = log_duration.shape[1]
    length = (torch.logsumexp(log_duration[0], dim=0) - math.log(speech.shape[2] + units)) ** 2
    return {"mle": mle, "align": align, "duration": duration, "ce": ce, "length": length}


def to_tensors(e: Example, squeeze: int) -> dict:
    speech = e.speech[:, : e.speech.shape[1] - e.speech.shape[1] % squeeze]
    return {
        "singing": torch.from_numpy(e.singing.astype(np.float32))[None],
        "speech": torch.from_numpy(speech.astype(np.float32))[None],
        "phones": torch.from_numpy(e.phones.astype(np.int64))[None],
    }


class S2SFlowTask:
    name = "s2s-flow"

    def __init__(
        self,
        examples: list[Example] | list[list[Example]],
        *,
        corpus_info: dict,
        config: S2SFlowConfig | None = None,
        shares: list[float] | None = None,
        length_weight: float = 0.0,
    ):
        if length_weight < 0:
            raise ValueError(f"--length-weight must be ≥ 0, got {length_weight}")
        self.config = config or S2SFlowConfig()
        self.length_weight = length_weight
        self.model = S2SFlow(self.config)
        usable = lambda e: 0 < e.singing.shape[1] <= MAX_SINGING_FRAMES and e.speech.shape[1] >= 8  # noqa: E731
        self.mix = CorpusMix(examples, lambda e: e.singing.shape[1], shares, keep=usable, single="uniform")
        self.examples = self.mix.examples
        self.corpus_info = corpus_info
        self.recent_ce = float("inf")

    def batch(self, rng: np.random.Generator, size: int) -> dict:
        drawn = self.mix.draw(rng, size)
        predicted = (
            rng.random(size) < 0.5 if self.recent_ce < PREDICTED_UNITS_BELOW_CE else np.zeros(size, bool)
        )
        return {
            "pairs": [to_tensors(e, self.config.squeeze) for e in drawn],
            "predicted_units": predicted.tolist(),
        }

    def loss(self, batch: dict) -> tuple[torch.Tensor, dict]:
        terms = [
            pair_losses(self.model, pair, predicted_units=p)
            for pair, p in zip(
                batch["pairs"], batch.get("predicted_units", [False] * len(batch["pairs"])), strict=True
            )
        ]
        mean = {k: torch.stack([t[k] for t in terms]).mean() for k in terms[0]}
        ce = mean["ce"].item()
        self.recent_ce = ce if not np.isfinite(self.recent_ce) else 0.9 * self.recent_ce + 0.1 * ce
        loss = (
            mean["mle"]
            + mean["align"]
            + mean["duration"]
            + PHONE_WEIGHT * mean["ce"]
            + self.length_weight * mean["length"]
        )
        return loss, {k: v.item() for k, v in mean.items()}

    def save(self, path: str, *, train_info: dict) -> None:
        save_checkpoint(
            path,
            Checkpoint(
                model="s2s_flow",
                config={"model": self.config.to_dict(), "length_weight": self.length_weight},
                feature_spec=SPEC,
                state_dict=self.model.state_dict(),
                train={**train_info, **self.corpus_info, "parameters": parameter_count(self.model)},
            ),
        )


#: the initial phase (the fine-tuning phase reruns with --lr 1e-4); the minutes budget ends each phase
DEFAULTS = {"steps": 1_000_000, "batch": 4, "lr": 1e-3, "lr_decay": 1.0, "decay_every": 1000}


def add_arguments(parser) -> None:
    parser.add_argument(
        "--corpus", required=True, action="append", help="corpus folder with manifest.jsonl (repeat to mix)"
    )
    parser.add_argument("--mix", default=None, help="each corpus's share of a batch, e.g. 0.25,0.75")
    parser.add_argument("--cache", default="runs/cache", help="feature cache folder")
    parser.add_argument(
        "--length-weight",
        type=float,
        default=0.0,
        help="weight of the utterance-length term (ln Σ(1 + predicted frames) − ln Σ(1 + true frames))²; 0 = off",
    )


def make_task(args) -> tuple[S2SFlowTask, dict]:
    """The training CLI's entry: the task and its schedule defaults."""
    shares = parse_shares(args.mix)
    groups = [load_split(root, "train", cache_dir=args.cache) for root in args.corpus]
    task = S2SFlowTask(
        groups,
        corpus_info=corpora_record(args.corpus, shares),
        shares=shares,
        length_weight=args.length_weight,
    )
    return task, DEFAULTS
