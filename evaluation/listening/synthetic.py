"""Small synthetic studies in the shared folder layout: for tests, the load benchmark and a dry run."""

from __future__ import annotations

import os

import numpy as np
import soundfile
import yaml


def write_folder(
    *, root: str, systems: list[str], items: list[str], seconds: float = 1.0, sr: int = 16000
) -> str:
    """Tones whose brightness differs per system, a spoken-like context and a note-text melody per item."""
    rng = np.random.default_rng(0)
    t = np.arange(int(seconds * sr)) / sr
    for k, item in enumerate(items):
        f0 = 180 + 20 * k
        for s, system in enumerate(systems):
            tone = sum(np.sin(2 * np.pi * h * f0 * t) / h ** (1 + 0.5 * s) for h in range(1, 6))
            os.makedirs(os.path.join(root, system), exist_ok=True)
            soundfile.write(os.path.join(root, system, f"{item}.wav"), 0.2 * tone * (1 + s), sr)
        os.makedirs(os.path.join(root, "_reference"), exist_ok=True)
        soundfile.write(os.path.join(root, "_reference", f"{item}.wav"), 0.1 * np.sin(2 * np.pi * f0 * t), sr)
        context = os.path.join(root, "_context", item)
        os.makedirs(context, exist_ok=True)
        noise = rng.standard_normal(len(t)) * np.sin(2 * np.pi * 3 * t) ** 2
        soundfile.write(os.path.join(context, "source.wav"), 0.1 * noise, sr)
        with open(os.path.join(context, "melody.txt"), "w") as f:
            f.write(f"tempo=240: {60 + k}:{seconds / 2:g} {62 + k}:{seconds / 2:g}")
    return root


def write_study(
    *, path: str, folder: str, study_id: str = "demo", kind: str = "preference", systems: list[str],
    items: list[str], trials: int = 4, catch_rate: float = 0.25, **extra,
) -> str:  # fmt: skip
    """A study YAML next to ``folder``; returns its path."""
    data = {
        "id": study_id, "title": f"Synthetic {kind} study", "type": kind, "systems": systems, "items": items,
        "stimuli": {"folder": os.path.abspath(folder)}, "trials_per_listener": trials, "catch_rate": catch_rate,
        **extra,
    }  # fmt: skip
    with open(path, "w") as f:
        yaml.safe_dump(data, f, sort_keys=False)
    return path
