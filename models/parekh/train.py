"""Training the ICASSP 2020 encoder–decoder and its Table 1 variants on a paired corpus.

Loss: MSE on log(1 + |S|) plus λ · per-frame cross-entropy of the phone head (λ = 0.015 for P-MTL,
0 otherwise), Adam at 0.002 decayed ×0.92 every 1000 steps (the paper's epoch), batches of 16 random
crops. Augmentation: the input speech pitch-shifted by U[−1, 1] semitones, done here by scaling the
frequency axis of its magnitude spectrogram (what librosa's resample-then-stretch shift does to |S|,
without its phase-vocoder cost).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch
from torch.nn import functional as F

from models.base import Checkpoint, save_checkpoint
from models.parekh.data import SPEC, Example, load_split, melody_image
from models.parekh.model import ParekhConfig, ParekhSTS, parameter_count

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


def shift_frequency(x: torch.Tensor, semitones: torch.Tensor) -> torch.Tensor:
    """(B, F, T) magnitudes with every frequency scaled by 2^(semitones/12) (linear interpolation)."""
    n = x.shape[1]
    ratio = (2.0 ** (semitones / 12.0)).view(-1, 1)
    source = torch.arange(n, dtype=torch.float32).view(1, -1) / ratio  # (B, F)
    low = source.floor().clamp(0, n - 1).long()
    high = (low + 1).clamp(max=n - 1)
    frac = (source - low).clamp(0, 1).unsqueeze(-1)
    inside = (source <= n - 1).unsqueeze(-1)
    gather = lambda idx: torch.gather(x, 1, idx.unsqueeze(-1).expand(-1, -1, x.shape[2]))  # noqa: E731
    return torch.where(inside, gather(low) * (1 - frac) + gather(high) * frac, torch.zeros_like(x))


class ParekhTask:
    def __init__(self, variant: Variant, examples: list[Example], *, corpus_info: dict):
        self.variant = variant
        self.name = f"parekh-{variant.name}"
        self.model = ParekhSTS(variant.model)
        self.examples = [e for e in examples if e.f0.shape[0] >= 8]
        self.weights = np.array([e.f0.shape[0] for e in self.examples], dtype=np.float64)
        self.weights /= self.weights.sum()
        self.corpus_info = corpus_info

    def batch(self, rng: np.random.Generator, size: int) -> dict:
        speech, singing, images, phones = [], [], [], []
        for index in rng.choice(len(self.examples), size=size, p=self.weights):
            e = self.examples[index]
            frames = e.f0.shape[0]
            start = int(rng.integers(0, max(frames - CROP_FRAMES, 0) + 1))
            window = slice(start, start + CROP_FRAMES)
            pad = CROP_FRAMES - len(e.f0[window])
            speech.append(np.pad(e.speech[:, window].astype(np.float32), ((0, 0), (0, pad))))
            singing.append(np.pad(e.singing[:, window].astype(np.float32), ((0, 0), (0, pad))))
            images.append(melody_image(np.pad(e.f0[window], (0, pad)), self.variant.melody_image))
            phones.append(np.pad(e.phones[window], (0, pad)))
        x = torch.from_numpy(np.stack(speech))
        if self.variant.inputs != "singing":
            x = shift_frequency(x, torch.from_numpy(rng.uniform(-1, 1, size).astype(np.float32)))
        return {
            "speech": x,
            "singing": torch.from_numpy(np.stack(singing)),
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
    parser.add_argument("--corpus", required=True, help="corpus folder with manifest.jsonl")
    parser.add_argument("--variant", default="p-mtl", choices=list(VARIANTS))
    parser.add_argument("--cache", default="runs/cache", help="feature cache folder")


def make_task(args) -> tuple[ParekhTask, dict]:
    """The training CLI's entry: the task and its schedule defaults."""
    return make_variant_task(args.variant, args.corpus, cache_dir=args.cache), DEFAULTS


def make_variant_task(variant_name: str, corpus: str, *, cache_dir: str | None) -> ParekhTask:
    from models.corpus.manifest import manifest_hash, read_manifest

    variant = VARIANTS[variant_name]
    examples = load_split(corpus, "train", inputs=variant.inputs, cache_dir=cache_dir)
    pairs = read_manifest(corpus, split="train")
    hours = sum(p.extra.get("speech_seconds", 0) + p.extra.get("singing_seconds", 0) for p in pairs) / 3600
    info = {
        "manifest_sha256": manifest_hash(corpus),
        "train_pairs": len(pairs),
        "train_hours": round(hours, 3),
        "speakers": sorted({p.speaker for p in pairs}),
    }
    return ParekhTask(replace(variant), examples, corpus_info=info)
