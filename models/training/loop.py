"""The one training loop every learned converter uses: seeded, resumable, time-boxed, logged.

A model plugs in as a :class:`TrainTask` (its module, how to draw a batch, its loss, how to write its
bundled checkpoint). The loop keeps ``<out>/<name>.state.pt`` (model, optimizer, schedule, step, RNG)
every ``save_every`` steps, appends one JSON line per ``log_every`` steps to ``<out>/<name>.log.jsonl``,
and stops at ``steps`` or after ``minutes`` of wall time, whichever comes first; running the same
command again resumes from the state file. Learning rate: ``lr · decay^(step / decay_every)``.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from typing import Protocol

import numpy as np
import torch


def load_start(model: torch.nn.Module, state_dict: dict, *, fresh: str = "") -> None:
    """A trained network's weights as the start of a new run (a warm start; a resume replaces them with the
    run's own state). Every weight must match, except those under ``fresh`` (a prefix: a part the source
    lacks, such as a new head), which keep their init."""
    missing, unexpected = model.load_state_dict(state_dict, strict=False)
    stray = [key for key in missing if not (fresh and key.startswith(fresh))]
    if unexpected or stray:
        raise ValueError(f"the start's weights do not match: missing {stray}, unexpected {unexpected}")


@dataclass(frozen=True)
class TrainConfig:
    steps: int = 14000
    batch: int = 16
    lr: float = 0.002
    lr_decay: float = 0.92
    decay_every: int = 1000
    seed: int = 0
    minutes: float | None = None  # wall-time budget of this run (resumed runs get their own)
    log_every: int = 25
    save_every: int = 200
    threads: int | None = None


class TrainTask(Protocol):
    name: str
    model: torch.nn.Module

    def batch(self, rng: np.random.Generator, size: int) -> dict: ...

    def loss(self, batch: dict) -> tuple[torch.Tensor, dict]: ...

    def save(self, path: str, *, train_info: dict) -> None: ...

    # optional: ``on_step(step)``, called before each step (schedules such as KL annealing; resumes too)


def train(task: TrainTask, cfg: TrainConfig, *, out: str, progress: bool = True) -> dict:
    """Train (or resume) ``task``; write its checkpoint to ``<out>/<name>.pt``; return the summary."""
    from tqdm import tqdm

    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(cfg.threads or os.cpu_count() or 1)
    torch.manual_seed(cfg.seed)
    state_path = os.path.join(out, f"{task.name}.state.pt")
    log_path = os.path.join(out, f"{task.name}.log.jsonl")
    optimizer = torch.optim.Adam(task.model.parameters(), lr=cfg.lr)
    step, spent_s = 0, 0.0
    rng = np.random.default_rng(cfg.seed)
    if os.path.exists(state_path):
        state = torch.load(state_path, map_location="cpu", weights_only=False)  # our own file, with RNG state
        task.model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        step, spent_s = state["step"], state["spent_s"]
        rng.bit_generator.state = state["rng"]
        torch.set_rng_state(state["torch_rng"])

    def save_state() -> None:
        tmp = f"{state_path}.tmp"
        torch.save(
            {
                "model": task.model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "step": step,
                "spent_s": spent_s,
                "rng": rng.bit_generator.state,
                "torch_rng": torch.get_rng_state(),
                "config": asdict(cfg),
            },
            tmp,
        )
        os.replace(tmp, state_path)

    started = run_started = time.perf_counter()
    budget_s = cfg.minutes * 60 if cfg.minutes else float("inf")
    task.model.train()
    bar = tqdm(total=cfg.steps, initial=step, unit="step", disable=not progress, desc=task.name)
    running: dict[str, float] = {}
    with open(log_path, "a", encoding="utf-8") as log:
        while step < cfg.steps and time.perf_counter() - run_started < budget_s:
            for group in optimizer.param_groups:
                group["lr"] = cfg.lr * cfg.lr_decay ** (step / cfg.decay_every)
            if hasattr(task, "on_step"):
                task.on_step(step)
            loss, metrics = task.loss(task.batch(rng, cfg.batch))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(task.model.parameters(), 5.0)
            optimizer.step()
            step += 1
            for key, value in metrics.items():
                running[key] = running.get(key, 0.0) + float(value)
            if step % cfg.log_every == 0:
                row = {k: v / cfg.log_every for k, v in running.items()}
                elapsed = spent_s + time.perf_counter() - started
                log.write(json.dumps({"step": step, "seconds": round(elapsed, 1), **row}) + "\n")
                log.flush()
                bar.set_postfix({k: f"{v:.4f}" for k, v in row.items()})
                running = {}
            if step % cfg.save_every == 0:
                spent_s += time.perf_counter() - started
                started = time.perf_counter()
                save_state()
            bar.update(1)
    bar.close()
    spent_s += time.perf_counter() - started
    save_state()
    summary = {
        "steps": step,
        "batch": cfg.batch,
        "wall_s": round(spent_s, 1),
        "threads": torch.get_num_threads(),
        "config": asdict(cfg),
    }
    task.model.eval()
    task.save(os.path.join(out, f"{task.name}.pt"), train_info=summary)
    return summary
