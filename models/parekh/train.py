"""Training the ICASSP 2020 encoder–decoder and its Table 1 variants on a paired corpus.

Loss: MSE on log(1 + |S|) plus λ · per-frame cross-entropy of the phone head (λ = 0.015 for P-MTL,
0 otherwise), Adam at 0.002 decayed ×0.92 every 1000 steps (the paper's epoch), batches of 16 random
crops. Augmentation: the input speech pitch-shifted by U[−1, 1] semitones, done here by scaling the
frequency axis of its magnitude spectrogram (what librosa's resample-then-stretch shift does to |S|,
without its phase-vocoder cost).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

import numpy as np
import torch
from torch.nn import functional as F

from models.base import Checkpoint, load_checkpoint, save_checkpoint
from models.corpus.manifest import sha256_file
from models.parekh import augment as augmentation
from models.parekh.data import MELODY_IMAGES, SPEC, Example, load_split, melody_image
from models.parekh.model import ParekhConfig, ParekhSTS, parameter_count
from models.training.loop import load_start
from models.training.mix import CorpusMix, corpora_record, parse_shares

PHONE_WEIGHT = 0.015
CROP_FRAMES = 128  # 2 s at 16 ms


@dataclass(frozen=True)
class Variant:
    name: str
    model: ParekhConfig
    phone_weight: float = 0.0
    inputs: str = "stretched"  # stretched speech, phone-synced speech (PhSync) or the singing (autoencoder)
    melody_image: str = "binary"
    table_name: str = ""


VARIANTS = {
    v.name: v
    for v in (
        Variant("p-mtl", ParekhConfig(), PHONE_WEIGHT, table_name="Proposed MTL (P-MTL)"),
        Variant("p-mse", ParekhConfig(phone_head=False), table_name="Proposed MSE (P-MSE)"),
        Variant("b1", ParekhConfig(use_melody=False, phone_head=False), table_name="Baseline 1 (no melody)"),
        Variant(
            "b2",
            ParekhConfig(instance_norm=False, skips=False, phone_head=False, init="he"),
            table_name="Baseline 2 (no IN, no skip)",
        ),
        Variant("allnorm", ParekhConfig(all_norm=True, phone_head=False), table_name="AllNorm"),
        # B2's He init given to P-MSE: separates the init from the missing norms and skips in the table
        Variant("p-mse-he", ParekhConfig(phone_head=False, init="he"), table_name="P-MSE, He init (ours)"),
        Variant("p-mse-phsync", ParekhConfig(phone_head=False), inputs="phsync", table_name="P-MSE + PhSync"),
        Variant("ae", ParekhConfig(phone_head=False), inputs="singing", table_name="Singing autoencoder"),
        Variant(
            "p-mtl-harmonics",
            ParekhConfig(),
            PHONE_WEIGHT,
            melody_image="harmonics",
            table_name="P-MTL, harmonic melody image (ours)",
        ),
    )
}


class ParekhTask:
    """Batches of 2 s windows, drawn from one or more corpora.

    ``examples`` is one list, or one list per corpus with ``shares`` saying what part of each batch comes
    from each (default: in proportion to their frames). ``augment`` adds a random EQ to the speech input
    and the same tuning offset to the target and its melody; ``noise`` (|STFT| of room recordings) adds
    room noise to the speech input (models/parekh/augment.py). Without them a batch is drawn as the
    bundled checkpoints were trained: the speech input warped by ±1 semitone, nothing else.
    """

    def __init__(
        self,
        variant: Variant,
        examples: list[Example] | list[list[Example]],
        *,
        corpus_info: dict,
        shares: list[float] | None = None,
        augment: bool = False,
        noise: np.ndarray | None = None,
    ):
        self.variant = variant
        self.name = f"parekh-{variant.name}"
        self.model = ParekhSTS(variant.model)
        frames = lambda e: e.f0.shape[0]  # noqa: E731
        self.mix = CorpusMix(examples, frames, shares, keep=lambda e: frames(e) >= 8)
        self.examples = self.mix.examples
        self.corpus_info = corpus_info
        self.augment = augment
        self.noise = noise

    def batch(self, rng: np.random.Generator, size: int) -> dict:
        speech, singing, images, phones = [], [], [], []
        drawn = self.mix.draw(rng, size)
        cents = augmentation.tuning_offsets(rng, size) if self.augment else np.zeros(size, np.float32)
        for b, e in enumerate(drawn):
            frames = e.f0.shape[0]
            start = int(rng.integers(0, max(frames - CROP_FRAMES, 0) + 1))
            window = slice(start, start + CROP_FRAMES)
            pad = CROP_FRAMES - len(e.f0[window])
            speech.append(np.pad(e.speech[:, window].astype(np.float32), ((0, 0), (0, pad))))
            singing.append(np.pad(e.singing[:, window].astype(np.float32), ((0, 0), (0, pad))))
            f0 = np.pad(e.f0[window], (0, pad)) * 2 ** (cents[b] / 1200)
            images.append(melody_image(f0, self.variant.melody_image))
            phones.append(np.pad(e.phones[window], (0, pad)))
        x = torch.from_numpy(np.stack(speech))
        y = torch.from_numpy(np.stack(singing))
        if self.variant.inputs != "singing":
            if self.augment:
                x = augmentation.augment_voice(x, rng, self.noise)
            else:
                x = augmentation.shift_frequency(
                    x, torch.from_numpy(rng.uniform(-1, 1, size).astype(np.float32))
                )
        if self.augment:  # the target sung at the melody's new tuning
            y = augmentation.shift_frequency(y, torch.from_numpy(cents / 100))
        return {
            "speech": x,
            "singing": y,
            "melody": torch.from_numpy(np.stack(images)),
            "phones": torch.from_numpy(np.stack(phones)),
        }

    def loss(self, batch: dict) -> tuple[torch.Tensor, dict]:
        out, logits = self.model(batch["speech"], batch["melody"])
        mse = F.mse_loss(out, batch["singing"])
        metrics = {"mse": mse.item()}
        loss = mse
        if logits is not None and self.variant.phone_weight > 0:
            ce = F.cross_entropy(logits, batch["phones"])
            loss = mse + self.variant.phone_weight * ce
            metrics["ce"] = ce.item()
        return loss, metrics

    def save(self, path: str, *, train_info: dict) -> None:
        save_checkpoint(
            path,
            Checkpoint(
                model="parekh",
                config={
                    "variant": self.variant.name,
                    "melody_image": self.variant.melody_image,
                    "inputs": self.variant.inputs,
                    "phone_weight": self.variant.phone_weight,
                    "model": self.variant.model.to_dict(),
                },
                feature_spec=SPEC,
                state_dict=self.model.state_dict(),
                train={**train_info, **self.corpus_info, "parameters": parameter_count(self.model)},
            ),
        )


#: the paper's schedule (14 epochs × 1000 iterations of 16, Adam 0.002); the loop's other defaults fit
DEFAULTS = {"steps": 14000, "batch": 16, "lr": 0.002, "lr_decay": 0.92, "decay_every": 1000}


def add_arguments(parser) -> None:
    parser.add_argument(
        "--corpus", required=True, action="append", help="corpus folder with manifest.jsonl (repeat to mix)"
    )
    parser.add_argument("--mix", default=None, help="each corpus's share of a batch, e.g. 0.7,0.3")
    parser.add_argument("--augment", action="store_true", help="random EQ on the speech, tuning offsets")
    parser.add_argument("--noise", default=None, help="folder of room-noise recordings added to the speech")
    parser.add_argument("--variant", default="p-mtl", choices=list(VARIANTS))
    parser.add_argument(
        "--melody-image",
        default=None,
        choices=MELODY_IMAGES,
        help="the melody image the network reads (default: the variant's; models/parekh/data.py)",
    )
    parser.add_argument(
        "--phone-weight",
        type=float,
        default=None,
        help=f"λ of the phone head's cross-entropy (default: the variant's; the paper's {PHONE_WEIGHT} for P-MTL)",
    )
    parser.add_argument(
        "--init",
        default=None,
        help="start from this checkpoint's weights (same network; a phone head it lacks starts fresh), "
        "e.g. P-MTL from a trained P-MSE",
    )
    parser.add_argument("--cache", default="runs/cache", help="feature cache folder")


def make_task(args) -> tuple[ParekhTask, dict]:
    """The training CLI's entry: the task and its schedule defaults."""
    shares = parse_shares(args.mix)
    task = make_variant_task(
        args.variant,
        args.corpus,
        cache_dir=args.cache,
        shares=shares,
        augment=args.augment,
        noise=args.noise,
        melody_image=args.melody_image,
        phone_weight=args.phone_weight,
    )
    if args.init:  # on a resume too (the loop then replaces the weights with the run's own state)
        task.corpus_info["init"] = warm_start(task.model, args.init, variant=task.variant)
    return task, DEFAULTS


def warm_start(model: ParekhSTS, path: str, *, variant: Variant | None = None) -> dict:
    """Load a trained checkpoint's weights into ``model`` before training. The network must be the same (the
    weight init and a phone head aside: a P-MSE checkpoint has none, and the head starts from its init) and,
    given ``variant``, so must the melody image and the input it was trained on. Returns what the checkpoint
    record keeps of the start."""
    checkpoint = load_checkpoint(path, model="parekh", feature_spec=SPEC)
    ignored = ("phone_head", "init")
    ours = {k: v for k, v in model.cfg.to_dict().items() if k not in ignored}
    theirs = {k: v for k, v in checkpoint.config["model"].items() if k not in ignored}
    if ours != theirs:
        raise ValueError(f"--init {path}: its network {theirs} differs from this variant's {ours}")
    if variant is not None:
        for field in ("melody_image", "inputs"):
            if checkpoint.config.get(field) != getattr(variant, field):
                raise ValueError(
                    f"--init {path}: trained with {field} {checkpoint.config.get(field)!r}, "
                    f"this run uses {getattr(variant, field)!r}"
                )
    try:
        load_start(model, checkpoint.state_dict, fresh="phone_head.")
    except ValueError as error:
        raise ValueError(f"--init {path}: {error}") from None
    return {
        "from": os.path.basename(path),
        "sha256": sha256_file(path),
        "variant": checkpoint.config["variant"],
        "steps": checkpoint.train.get("steps"),
        "wall_s": checkpoint.train.get("wall_s"),
    }


def make_variant_task(
    variant_name: str,
    corpus: str | list[str],
    *,
    cache_dir: str | None,
    shares: list[float] | None = None,
    augment: bool = False,
    noise: str | None = None,
    melody_image: str | None = None,
    phone_weight: float | None = None,
) -> ParekhTask:
    variant = VARIANTS[variant_name]
    if melody_image:
        variant = replace(variant, melody_image=melody_image)
    if phone_weight is not None:
        if not variant.model.phone_head:
            raise ValueError(f"--phone-weight needs a variant with a phone head; {variant_name} has none")
        if phone_weight < 0:
            raise ValueError(f"--phone-weight must be ≥ 0, got {phone_weight}")
        variant = replace(variant, phone_weight=phone_weight)
    corpora = [corpus] if isinstance(corpus, str) else list(corpus)
    groups = [load_split(root, "train", inputs=variant.inputs, cache_dir=cache_dir) for root in corpora]
    info = corpora_record(corpora, shares)
    info = {**info, "augment": augment, "noise": bool(noise)} if (augment or noise) else info
    return ParekhTask(
        variant,
        groups,
        corpus_info=info,
        shares=shares,
        augment=augment,
        noise=augmentation.load_noise(noise) if noise else None,
    )
