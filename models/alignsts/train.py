"""Training AlignSTS on a paired corpus: `python -m models.training alignsts --corpus DIR [--variant …]`.

Loss (AlignSTS's, with its weights): 0.5 · L1 + 0.5 · (1 − SSIM) of the mel, + 0.25 · VQ commitment,
+ 0.1 · cross-entropy of the adaptor's code logits against the VQ codes of the true singing rhythm,
+ 40 · guided-attention losses (adaptor σ 0.3, each aligner layer σ 0.1). The aligner is teacher-forced
with the quantized true rhythm; the adaptor learns beside it. Examples are phrase crops of about
``--crop-seconds`` of singing (models.alignsts.data.crop), drawn from one or more corpora (``--corpus``
repeated, ``--mix`` their shares of a batch); ``--augment`` applies models/alignsts/augment.py. The pitch
input is the sung F0 contour (``--pitch-input contour``, the paper's) or the notes (the first checkpoints).
"""

from __future__ import annotations

import numpy as np
import torch

from models.alignsts import augment as augmentation
from models.alignsts.attention import guided_attention_loss
from models.alignsts.data import crop, load_split
from models.alignsts.features import LOG_FLOOR, MEL_SPEC, coarse_f0
from models.alignsts.losses import masked_cross_entropy, mel_losses
from models.alignsts.model import (
    PITCH_INPUTS,
    VARIANTS,
    AlignSTS,
    AlignSTSConfig,
    code_lengths,
    lengths_mask,
    parameter_count,
)
from models.base import Checkpoint, save_checkpoint
from models.training.cache import Example
from models.training.mix import CorpusMix, corpora_record, parse_shares

WEIGHTS = {"l1": 0.5, "ssim": 0.5, "commitment": 0.25, "ce": 0.1, "guided": 40.0}
SIGMA_ADAPTOR, SIGMA_ALIGNER = 0.3, 0.1
PAD_LOG = float(np.log(LOG_FLOOR))


def _pad(arrays: list[np.ndarray], value: float, dtype) -> torch.Tensor:
    """Arrays (…, T_i) → tensor (B, …, max T) padded with ``value``."""
    t = max(a.shape[-1] for a in arrays)
    out = np.full((len(arrays), *arrays[0].shape[:-1], t), value, dtype=dtype)
    for i, a in enumerate(arrays):
        out[i, ..., : a.shape[-1]] = a
    return torch.from_numpy(out)


def stretched(values: np.ndarray, n: int) -> np.ndarray:
    """(T,) linearly resampled to (n,)."""
    return np.interp(np.linspace(0, len(values) - 1, n), np.arange(len(values)), values).astype(np.float32)


def collate(examples: list[Example]) -> dict[str, torch.Tensor]:
    """Padded batch tensors of (cropped) examples; ``speech_rhythm`` is stretched to each item's T1."""
    lengths = [e["mel"].shape[-1] for e in examples]
    return {
        "content": _pad([e["content"] for e in examples], PAD_LOG, np.float32),
        "content_lengths": torch.tensor([e["content"].shape[-1] for e in examples]),
        "mel": _pad([e["mel"] for e in examples], PAD_LOG, np.float32),
        "lengths": torch.tensor(lengths),
        "rhythm": _pad([e["rhythm"] for e in examples], 0.0, np.float32),
        "speech_rhythm": _pad(
            [stretched(e["speech_rhythm"], n) for e, n in zip(examples, lengths, strict=True)],
            0.0,
            np.float32,
        ),
        "notes": _pad([e["notes"] for e in examples], 0, np.int64),
        "onsets": _pad([e["onsets"] for e in examples], 0, np.int64),
        "speaker": torch.from_numpy(np.stack([e["speaker"] for e in examples]).astype(np.float32)),
    }


def rhythm_input(model: AlignSTS, batch: dict) -> torch.Tensor:
    """The teacher-forced rhythm: the singing's, or for the w/o-adaptor variant the stretched speech's."""
    return batch["speech_rhythm"] if model.cfg.variant == "no_rhythm_adaptor" else batch["rhythm"]


def loss_terms(model: AlignSTS, batch: dict) -> dict[str, torch.Tensor]:
    """Every loss term (unweighted) and two diagnostics (code accuracy, codes used) of one batch."""
    out = model(
        batch["content"], batch["content_lengths"], batch["notes"], batch["onsets"], batch["lengths"],
        batch["speaker"], rhythm=rhythm_input(model, batch),
    )  # fmt: skip
    lengths, content_lengths = batch["lengths"], batch["content_lengths"]
    mask = lengths_mask(lengths, batch["mel"].shape[-1])
    l1, ssim = mel_losses(out["mel"], batch["mel"], mask)
    terms = {"l1": l1, "ssim": ssim, "commitment": out["commitment"]}
    guided = torch.zeros(())
    if "code_logits" in out:
        code_mask = lengths_mask(code_lengths(lengths), out["codes"].shape[1]).float()
        terms["ce"] = masked_cross_entropy(out["code_logits"], out["codes"], code_mask)
        correct = (out["code_logits"].argmax(-1) == out["codes"]).float()
        terms["code_accuracy"] = ((correct * code_mask).sum() / code_mask.sum()).detach()
        guided = guided + guided_attention_loss(
            out["attention_adaptor"], lengths, content_lengths, SIGMA_ADAPTOR
        )
    for attention in out.get("attentions_aligner", []):
        guided = guided + guided_attention_loss(attention, lengths, content_lengths, SIGMA_ALIGNER)
    terms["guided"] = guided
    terms["codes_used"] = torch.tensor(float(out["codes"].unique().numel()))
    return terms


class AlignSTSTask:
    def __init__(
        self,
        examples: list[Example] | list[list[Example]],
        *,
        config: AlignSTSConfig,
        corpus_info: dict,
        crop_seconds: float = 2.5,
        shares: list[float] | None = None,
        augment: bool = False,
    ):
        self.config = config
        self.name = "alignsts" if config.variant == "full" else f"alignsts-{config.variant.replace('_', '-')}"
        self.model = AlignSTS(config)
        self.mix = CorpusMix(examples, lambda e: e["mel"].shape[-1], shares, single="uniform")
        self.examples = self.mix.examples
        self.crop_seconds = crop_seconds
        self.corpus_info = corpus_info
        self.augment = augment
        self.mel_centres = augmentation.mel_bin_hz()
        with torch.no_grad():  # start the decoder at the corpus's mean spectrum
            mean = np.concatenate([e["mel"] for e in self.examples], axis=1).astype(np.float32).mean(axis=1)
            self.model.decoder.out.bias.copy_(torch.from_numpy(mean))

    def batch(self, rng: np.random.Generator, size: int) -> dict:
        crops = [crop(e, rng, self.crop_seconds) for e in self.mix.draw(rng, size)]
        if self.augment:
            crops = [augmentation.augment_crop(c, rng, self.mel_centres) for c in crops]
        if self.config.pitch_input == "contour":
            crops = [{**c, "notes": coarse_f0(c["f0"])} for c in crops]
        return collate(crops)

    def loss(self, batch: dict) -> tuple[torch.Tensor, dict]:
        terms = loss_terms(self.model, batch)
        loss = sum(WEIGHTS[k] * v for k, v in terms.items() if k in WEIGHTS)
        return loss, {k: float(v.detach()) for k, v in terms.items()}

    def save(self, path: str, *, train_info: dict) -> None:
        save_checkpoint(
            path,
            Checkpoint(
                model="alignsts",
                config={"model": self.config.to_dict(), "crop_seconds": self.crop_seconds},
                feature_spec=MEL_SPEC,
                state_dict=self.model.state_dict(),
                train={**train_info, **self.corpus_info, "parameters": parameter_count(self.model)},
            ),
        )


DEFAULTS = {"steps": 3000, "batch": 16, "lr": 1e-3, "lr_decay": 0.8, "decay_every": 1000}


def add_arguments(parser) -> None:
    parser.add_argument(
        "--corpus", required=True, action="append", help="corpus folder with manifest.jsonl (repeat to mix)"
    )
    parser.add_argument("--mix", default=None, help="each corpus's share of a batch, e.g. 0.25,0.75")
    parser.add_argument("--augment", action="store_true", help="shift, step contours, tracker noise, EQ")
    parser.add_argument(
        "--pitch-input", default="contour", choices=PITCH_INPUTS, help="the sung F0 contour, or the notes"
    )
    parser.add_argument("--cache", default="runs/cache", help="feature cache folder")
    parser.add_argument("--variant", default="full", choices=VARIANTS, help="full model or an ablation")
    parser.add_argument("--crop-seconds", type=float, default=2.5, help="singing seconds per training crop")
    parser.add_argument("--workers", type=int, default=1, help="processes for the first feature extraction")


def make_task(args) -> tuple[AlignSTSTask, dict]:
    """The training CLI's entry: the task and its schedule defaults."""
    shares = parse_shares(args.mix)
    info = corpora_record(args.corpus, shares)
    if args.augment:
        info = {**info, "augment": True}
    groups = [load_split(root, "train", cache_dir=args.cache, workers=args.workers) for root in args.corpus]
    task = AlignSTSTask(
        groups,
        config=AlignSTSConfig(variant=args.variant, pitch_input=args.pitch_input),
        corpus_info=info,
        crop_seconds=args.crop_seconds,
        shares=shares,
        augment=args.augment,
    )
    return task, DEFAULTS
