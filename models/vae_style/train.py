"""Training the voice-style VAE on style pairs: ``python -m models.training vae_style --corpus DIR`` (the
corpus's clean → growl pairs of its train split) or ``--pairs DIR`` (your own ``<name>/clean.wav`` +
``<name>/target.wav``, aligned by DTW; every pair's alignment quality is printed and kept in the log
folder).

Each step draws ``batch`` random crops of ``CROP_FRAMES`` frames from the pairs (weighted by length),
with one random level offset per crop shared by both sides, and trains both of the blog's modes on them:
reconstruction (clean → clean, mode 0) and conversion (clean → target, mode 1). Loss: mean squared error
of the normalised log-mel plus β · KL per input element, with β annealed linearly from 0 over
``kl_warmup`` steps.
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np
import torch
from torch.nn import functional as F

from models.base import Checkpoint, save_checkpoint
from models.vae_style.data import SPEC, StylePair, alignment_table
from models.vae_style.model import TIME_STRIDE, StyleVAE, VAEConfig, kl_divergence, kl_weight, parameter_count

CROP_FRAMES = 64  # 0.74 s
SILENCE = float(np.log(SPEC.clamp))
BETA = 0.01
KL_WARMUP = 1000
LEVEL_JITTER = 0.7  # ± nats of log-mel (about ±6 dB)


class StyleTask:
    def __init__(
        self,
        pairs: list[StylePair],
        *,
        name: str = "vae-growl",
        config: VAEConfig | None = None,
        beta: float = BETA,
        kl_warmup: int = KL_WARMUP,
        data_info: dict | None = None,
    ):
        if not pairs:
            raise ValueError("no style pairs to train on")
        self.name = name
        self.model = StyleVAE(config or VAEConfig())
        self.pairs = pairs
        self.weights = np.array([p.clean.shape[1] for p in pairs], dtype=np.float64)
        self.weights /= self.weights.sum()
        self.beta, self.kl_warmup = beta, kl_warmup
        self.data_info = data_info or {}
        self.step = 0

    def on_step(self, step: int) -> None:
        """Called by the loop before each step (also after a resume): drives the KL annealing."""
        self.step = step

    def batch(self, rng: np.random.Generator, size: int) -> dict:
        clean, target = [], []
        for index in rng.choice(len(self.pairs), size=size, p=self.weights):
            p = self.pairs[index]
            frames = p.clean.shape[1]
            start = int(rng.integers(0, max(frames - CROP_FRAMES, 0) + 1))
            window = slice(start, start + CROP_FRAMES)
            pad = ((0, 0), (0, CROP_FRAMES - min(CROP_FRAMES, frames - start)))
            level = float(rng.uniform(-LEVEL_JITTER, LEVEL_JITTER))
            for side, out in ((p.clean, clean), (p.target, target)):
                crop = np.pad(side[:, window], pad, constant_values=SILENCE) + level
                out.append(np.maximum(crop, SILENCE))
        x = self.model.normalise(torch.from_numpy(np.stack(clean).astype(np.float32)))
        y = self.model.normalise(torch.from_numpy(np.stack(target).astype(np.float32)))
        return {"clean": x, "target": y}

    def loss(self, batch: dict) -> tuple[torch.Tensor, dict]:
        x, y = batch["clean"], batch["target"]
        n = x.shape[0]
        inputs = torch.cat([x, x])
        mode = torch.cat([torch.zeros(n), torch.ones(n)])
        wanted = torch.cat([x, y])
        out, mu, logvar = self.model(inputs, mode)
        rec = F.mse_loss(out[:n], wanted[:n])
        conv = F.mse_loss(out[n:], wanted[n:])
        kl = kl_divergence(mu, logvar) / x[0].numel()
        beta = kl_weight(self.step, beta=self.beta, warmup_steps=self.kl_warmup)
        loss = 0.5 * (rec + conv) + beta * kl
        return loss, {"mse_rec": rec.item(), "mse_conv": conv.item(), "kl": kl.item(), "beta": beta}

    def save(self, path: str, *, train_info: dict) -> None:
        save_checkpoint(
            path,
            Checkpoint(
                model="vae_style",
                config={
                    "name": self.name,
                    "model": self.model.cfg.to_dict(),
                    "crop_frames": CROP_FRAMES,
                    "beta": self.beta,
                    "kl_warmup": self.kl_warmup,
                },
                feature_spec=SPEC,
                state_dict=self.model.state_dict(),
                train={**train_info, **self.data_info, "parameters": parameter_count(self.model)},
            ),
        )


DEFAULTS = {"steps": 100000, "batch": 8, "lr": 0.001, "lr_decay": 0.9, "decay_every": 1000}
assert CROP_FRAMES % TIME_STRIDE == 0


def add_arguments(parser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--corpus", help="corpus folder: trains on the style pairs of its train split")
    source.add_argument("--pairs", help="folder of <name>/clean.wav + <name>/target.wav pairs (all used)")
    parser.add_argument(
        "--name", default=None, help="checkpoint name (default vae-growl, or vae-style with --pairs)"
    )
    parser.add_argument("--beta", type=float, default=BETA, help=f"final KL weight β (default {BETA})")
    parser.add_argument("--kl-warmup", type=int, default=KL_WARMUP, help="steps over which β ramps up from 0")
    parser.add_argument("--cache", default="runs/cache-vae", help="aligned-feature cache folder")


def make_task(args) -> tuple[StyleTask, dict]:
    """The training CLI's entry: load and align the pairs, report the alignment, build the task."""
    from models.vae_style.data import corpus_pair_names, load_pairs

    if args.corpus:
        from models.corpus.manifest import manifest_hash

        root = os.path.join(args.corpus, "style")
        pairs = load_pairs(root, names=corpus_pair_names(args.corpus, "train"), cache_dir=args.cache)
        info = {
            "manifest_sha256": manifest_hash(args.corpus),
            "source": f"corpus {args.corpus} (train split)",
        }
        name = args.name or "vae-growl"
    else:
        pairs = load_pairs(args.pairs, cache_dir=args.cache)
        info = {"source": f"pairs {args.pairs}"}
        name = args.name or "vae-style"
    report = alignment_table(pairs)
    print(report, file=sys.stderr)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, f"{name}.alignment.jsonl"), "w", encoding="utf-8") as f:
        for p in pairs:
            f.write(json.dumps({"pair": p.name, **p.quality.to_dict()}) + "\n")
    seconds = sum(p.clean.shape[1] for p in pairs) * SPEC.hop_length / SPEC.sample_rate
    info.update(
        train_pairs=len(pairs),
        train_hours=round(seconds / 3600, 3),
        alignment={
            "mean_cost_ratio": round(float(np.mean([p.quality.cost_ratio for p in pairs])), 4),
            "poor_pairs": [p.name for p in pairs if p.quality.poor],
        },
    )
    return StyleTask(pairs, name=name, beta=args.beta, kl_warmup=args.kl_warmup, data_info=info), DEFAULTS
