"""Training the phoneme recognizer: frame-wise cross-entropy on both sides of the corpus's pairs.

python -m models.training ppg --corpus DIR [--minutes 45] [--threads 1]

A batch is 16 random crops of 1.3-3.2 s (one length per batch), drawn from speech and singing utterances
in proportion to their length, each through the augmentation of :mod:`models.ppg.augment` (tempo, formant
and pitch warps, equalizer, low-pass, noise, masks). Adam at 0.002, decayed ×0.8 every 1000 steps.
"""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import torch
from torch.nn import functional as F

from models.base import Checkpoint, save_checkpoint
from models.ppg.augment import AugmentConfig, augment, tempo_crop
from models.ppg.data import SPEC, Utterance, load_split
from models.ppg.model import PhoneRecognizerNet, PPGConfig, parameter_count

#: crop length per batch, frames of 10 ms; one length per batch, so the GRU needs no packing (whose
#: backward pass cost 3x the rest of the step on one CPU thread)
CROP_FRAMES = (128, 320)
PAD_LABEL = -100  # cross_entropy's ignore_index


def collate(crops: list[tuple[torch.Tensor, np.ndarray]]) -> dict:
    """Crops of different lengths → padded ``mel`` (B, F, T), ``labels`` (B, T) and ``lengths`` (B,)."""
    lengths = [labels.shape[0] for _, labels in crops]
    frames = max(lengths)
    n_mels = crops[0][0].shape[0]
    mel = torch.zeros(len(crops), n_mels, frames)
    labels = torch.full((len(crops), frames), PAD_LABEL, dtype=torch.long)
    for i, (m, y) in enumerate(crops):
        mel[i, :, : y.shape[0]] = m
        labels[i, : y.shape[0]] = torch.from_numpy(y)
    return {"mel": mel, "labels": labels, "lengths": torch.tensor(lengths)}


class PPGTask:
    """The training loop's view of the recognizer; ``augmentation=None`` trains on clean crops."""

    def __init__(
        self,
        utterances: list[Utterance],
        *,
        config: PPGConfig | None = None,
        augmentation: AugmentConfig | None = None,
        corpus_info: dict | None = None,
    ):
        self.name = "ppg"
        self.config = config or PPGConfig()
        self.model = PhoneRecognizerNet(self.config)
        self.utterances = [u for u in utterances if u.labels.shape[0] >= 8]
        self.weights = np.array([u.labels.shape[0] for u in self.utterances], dtype=np.float64)
        self.weights /= self.weights.sum()
        self.augmentation = augmentation
        self.corpus_info = corpus_info or {}

    def _draw(self, rng: np.random.Generator, frames: int) -> tuple[Utterance, float]:
        """An utterance long enough for ``frames`` at a random tempo (else the longest of 20 tries, slowed to fit)."""
        best = None
        for _ in range(20):
            u = self.utterances[rng.choice(len(self.utterances), p=self.weights)]
            rate = 1.0
            if self.augmentation is not None:
                low, high = self.augmentation.tempo
                rate = float(np.exp(rng.uniform(np.log(low), np.log(high))))
            if u.labels.shape[0] >= frames * rate:
                return u, rate
            if best is None or u.labels.shape[0] > best.labels.shape[0]:
                best = u
        return best, best.labels.shape[0] / frames

    def batch(self, rng: np.random.Generator, size: int) -> dict:
        frames = int(rng.integers(CROP_FRAMES[0], CROP_FRAMES[1] + 1))
        crops = []
        for _ in range(size):
            u, rate = self._draw(rng, frames)
            mel, labels = tempo_crop(u.mel, u.labels, rng, frames=frames, rate=rate)
            mel = torch.from_numpy(mel)
            if self.augmentation is not None:
                mel = augment(mel, rng, self.augmentation)
            crops.append((mel, labels))
        batch = collate(crops)
        if bool((batch["lengths"] == batch["lengths"][0]).all()):
            batch["lengths"] = None  # all crops full length: no padding to tell the model about
        return batch

    def loss(self, batch: dict) -> tuple[torch.Tensor, dict]:
        logits = self.model(batch["mel"], batch["lengths"])
        loss = F.cross_entropy(logits, batch["labels"], ignore_index=PAD_LABEL)
        valid = batch["labels"] != PAD_LABEL
        accuracy = (logits.argmax(1) == batch["labels"])[valid].float().mean()
        return loss, {"ce": loss.item(), "acc": accuracy.item()}

    def save(self, path: str, *, train_info: dict) -> None:
        save_checkpoint(
            path,
            Checkpoint(
                model="ppg",
                config={"model": self.config.to_dict()},
                feature_spec=SPEC,
                state_dict=self.model.state_dict(),
                train={**train_info, **self.corpus_info, "parameters": parameter_count(self.model)},
            ),
        )


DEFAULTS = {"steps": 20000, "batch": 16, "lr": 0.002, "lr_decay": 0.8, "decay_every": 1000}


def add_arguments(parser) -> None:
    parser.add_argument("--corpus", required=True, help="corpus folder with manifest.jsonl")
    parser.add_argument("--cache", default="runs/cache", help="feature cache folder")
    parser.add_argument("--no-augment", action="store_true", help="train on the clean crops only")


def make_task(args) -> tuple[PPGTask, dict]:
    """The training CLI's entry: the task and its schedule defaults."""
    from models.corpus.manifest import manifest_hash, read_manifest

    utterances = load_split(args.corpus, "train", cache_dir=args.cache)
    pairs = read_manifest(args.corpus, split="train")
    hours = sum(u.labels.shape[0] for u in utterances) * SPEC.frame_seconds / 3600
    info = {
        "manifest_sha256": manifest_hash(args.corpus),
        "train_pairs": len(pairs),
        "train_utterances": len(utterances),
        "train_hours": round(hours, 3),
        "speakers": sorted({p.speaker for p in pairs}),
    }
    augmentation = None if args.no_augment else AugmentConfig()
    info["augmentation"] = None if augmentation is None else asdict(augmentation)
    return PPGTask(utterances, augmentation=augmentation, corpus_info=info), DEFAULTS
