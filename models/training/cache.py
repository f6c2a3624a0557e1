"""One cached feature set per (model, split, manifest): a list of examples stored as a single .npz.

An example is a dict of numpy arrays whose leading dimensions agree across examples; each key is
concatenated along its last axis and cut back by the stored lengths. Used by models/alignsts and
models/s2s_flow (the older loaders of parekh and ppg keep their own copies until they migrate: ppg's
examples carry strings, parekh's builds in a process pool).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable

import numpy as np

Example = dict[str, np.ndarray]


def cache_path(cache_dir: str, model: str, split: str, manifest_sha256: str, variant: str = "") -> str:
    """``<cache_dir>/<model>-<split>[-<variant>]-<first 16 hex of the manifest hash>.npz``."""
    parts = [model, split, *([variant] if variant else []), manifest_sha256[:16]]
    return os.path.join(cache_dir, "-".join(parts) + ".npz")


def write_examples(path: str, examples: list[Example]) -> None:
    """Store ``examples`` atomically (a temporary file, then rename)."""
    if not examples:
        raise ValueError("no examples to cache")
    keys = sorted(examples[0])
    arrays = {}
    for key in keys:
        arrays[f"{key}.lengths"] = np.array([e[key].shape[-1] for e in examples], dtype=np.int64)
        arrays[key] = np.concatenate([e[key] for e in examples], axis=-1)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.tmp.npz"
    np.savez(tmp, **arrays)
    os.replace(tmp, path)


def read_examples(path: str) -> list[Example]:
    with np.load(path) as npz:  # read each array once: NpzFile re-reads an array on every access
        data = {key: npz[key] for key in npz.files}
    keys = [k for k in data if not k.endswith(".lengths")]
    bounds = {
        k: list(itertools.pairwise(np.concatenate([[0], np.cumsum(data[f"{k}.lengths"])]))) for k in keys
    }
    count = len(bounds[keys[0]])
    return [{k: data[k][..., bounds[k][i][0] : bounds[k][i][1]] for k in keys} for i in range(count)]


def cached_examples(path: str | None, build: Callable[[], list[Example]]) -> list[Example]:
    """The examples stored at ``path``, or ``build()``'s, written there first (``path`` None: no cache)."""
    if path and os.path.exists(path):
        return read_examples(path)
    examples = build()
    if path:
        write_examples(path, examples)
    return examples
