"""Training on several corpora at once: what each batch draws from which corpus, and the record of it.

A trainer loads one list of examples per corpus; :class:`CorpusMix` draws a batch's examples with each
corpus's share (``--mix``), an example in proportion to its length. :func:`corpora_record` is what the
checkpoint's ``train`` record says about its data: each corpus's manifest hash, size, speakers and
licences (PJS's CC BY-SA 4.0 travels with the weights derived from it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np


def corpus_record(root: str, split: str = "train") -> dict:
    """One corpus as the checkpoint records it."""
    from models.corpus.manifest import manifest_hash, read_manifest

    pairs = read_manifest(root, split=split)
    seconds = sum(p.extra.get("speech_seconds", 0) + p.extra.get("singing_seconds", 0) for p in pairs)
    return {
        "manifest_sha256": manifest_hash(root),
        "train_pairs": len(pairs),
        "train_hours": round(seconds / 3600, 3),
        "speakers": sorted({p.speaker for p in pairs}),
        "licenses": sorted({p.extra["license"] for p in pairs if "license" in p.extra}),
    }


def corpora_record(roots: Sequence[str], shares: Sequence[float] | None) -> dict:
    """The record of one corpus as it always was; of several, each one's and their shares."""
    records = [corpus_record(root) for root in roots]
    if len(records) == 1:
        return records[0]
    return {"corpora": records, "shares": list(shares) if shares is not None else None}


def parse_shares(text: str | None) -> list[float] | None:
    """``"0.25,0.75"`` → ``[0.25, 0.75]``; None stays None (shares in proportion to the corpora's length)."""
    if not text:
        return None
    try:
        return [float(v) for v in text.split(",")]
    except ValueError:
        raise ValueError(f"--mix {text!r}: give one number per --corpus, e.g. 0.25,0.75") from None


class CorpusMix:
    """Examples of one or more corpora; ``draw`` picks a batch's worth.

    ``examples`` is one corpus's list, or one list per corpus. ``length`` measures an example (frames); an
    example is drawn in proportion to it within its corpus, and a corpus with its share of the batch
    (default: in proportion to its total length); ``keep`` leaves out examples a trainer cannot use.
    ``single`` is how one corpus alone is drawn, so that
    runs from before the mix draw the same random stream: "weighted" (by length, one call for the batch:
    the ICASSP 2020 trainer's) or "uniform" (with replacement only when the batch outnumbers the examples:
    AlignSTS's and the flow model's).
    """

    def __init__(
        self,
        examples: list | list[list],
        length: Callable[[object], int],
        shares: Sequence[float] | None = None,
        *,
        keep: Callable[[object], bool] | None = None,
        single: str = "weighted",
    ):
        if single not in ("weighted", "uniform"):
            raise ValueError(f"single must be 'weighted' or 'uniform', not {single!r}")
        self.single = single
        groups = examples if examples and isinstance(examples[0], list) else [examples]
        if keep is not None:
            groups = [[e for e in g if keep(e)] for g in groups]
        if len(groups) > 1 and any(not g for g in groups):
            raise ValueError("every corpus of a mix needs at least one training example")
        self.groups = groups or [[]]
        if not self.groups[0]:  # a model built only to be saved (tests); drawing from it fails
            self.shares, self.weights = np.ones(1), [np.ones(0)]
            return
        totals = np.array([sum(length(e) for e in g) for g in groups], dtype=np.float64)
        self.shares = np.asarray(shares if shares is not None else totals, dtype=np.float64)
        if len(self.shares) != len(groups) or np.any(self.shares < 0) or self.shares.sum() <= 0:
            raise ValueError(f"give one non-negative share per corpus ({len(groups)}), not {shares}")
        self.shares = self.shares / self.shares.sum()
        self.weights = [np.array([length(e) for e in g], dtype=np.float64) for g in groups]
        self.weights = [w / w.sum() for w in self.weights]

    @property
    def examples(self) -> list:
        return [e for g in self.groups for e in g]

    def draw(self, rng: np.random.Generator, size: int) -> list:
        if not self.groups[0]:
            raise ValueError("no training examples to draw from")
        if len(self.groups) == 1:  # the random stream of the runs from before the mix
            n = len(self.groups[0])
            picks = (
                rng.choice(n, size=size, p=self.weights[0])
                if self.single == "weighted"
                else rng.choice(n, size=size, replace=size > n)
            )
            return [self.groups[0][i] for i in picks]
        chosen = rng.choice(len(self.groups), size=size, p=self.shares)
        return [self.groups[g][int(rng.choice(len(self.groups[g]), p=self.weights[g]))] for g in chosen]
