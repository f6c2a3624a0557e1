"""Converter registry: name → converter, listed without importing anything heavy, loaded lazily once."""

from __future__ import annotations

import importlib
import os
import threading
from dataclasses import dataclass

from models.base import Converter, Task
from models.errors import ConverterUnavailableError

CHECKPOINT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "checkpoints")


@dataclass(frozen=True)
class ConverterSpec:
    """How to find and build one converter.

    ``factory`` is ``"module:callable"``; the callable takes the checkpoint path (or nothing when
    ``checkpoint`` is None) and returns a :class:`~models.base.Converter`. Everything the demo, the
    benchmark and the trainer need to know about a converter is here: it is declared once.
    """

    name: str
    task: Task
    title: str
    description: str
    factory: str
    checkpoint: str | None = None
    #: the demo tab it appears in, within its task's tab; converters sharing a task and a tab are variants
    tab: str = ""
    #: the tab's opening text (markdown); the first converter of a tab gives it
    intro: str = ""
    #: the module that trains it (``python -m models.training <its last package name>``), if it is learned
    trainer: str | None = None

    @property
    def checkpoint_path(self) -> str | None:
        if self.checkpoint is None:
            return None
        return (
            self.checkpoint
            if os.path.isabs(self.checkpoint)
            else os.path.join(CHECKPOINT_DIR, self.checkpoint)
        )

    @property
    def available(self) -> bool:
        """A converter is available when it needs no checkpoint or its checkpoint file is present."""
        path = self.checkpoint_path
        return path is None or os.path.isfile(path)


class Registry:
    """Lists converters and builds each at most once (thread-safe), on first use."""

    def __init__(self, specs: list[ConverterSpec]) -> None:
        names = [s.name for s in specs]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate converter names in {names}")
        self._specs = {s.name: s for s in specs}
        self._loaded: dict[str, Converter] = {}
        self._lock = threading.Lock()

    def names(self, *, task: Task | None = None, available_only: bool = False) -> list[str]:
        return [
            s.name
            for s in self._specs.values()
            if (task is None or s.task == task) and (s.available or not available_only)
        ]

    def spec(self, name: str) -> ConverterSpec:
        try:
            return self._specs[name]
        except KeyError:
            known = ", ".join(self._specs) or "none"
            raise ConverterUnavailableError(
                f"No converter named '{name}'. Known converters: {known}."
            ) from None

    def _factory(self, spec: ConverterSpec):
        module_name, attr = spec.factory.split(":")
        return getattr(importlib.import_module(module_name), attr)

    def options_class(self, name: str) -> type:
        """The converter's Options dataclass, found without loading its weights."""
        return self._factory(self.spec(name)).Options

    def needs_melody(self, name: str) -> bool:
        return bool(self._factory(self.spec(name)).needs_melody)

    def get(self, name: str) -> Converter:
        spec = self.spec(name)
        with self._lock:
            if name not in self._loaded:
                if not spec.available:
                    raise ConverterUnavailableError(
                        f"'{name}' has no checkpoint at {spec.checkpoint_path}. Train it first (see the README)."
                    )
                factory = self._factory(spec)
                path = spec.checkpoint_path
                converter = factory(path) if path is not None else factory()
                converter.name = (
                    spec.name
                )  # the entry names it (a checkpoint's variant reads 'p-mtl', not 'mtl')
                self._loaded[name] = converter
            return self._loaded[name]

    def is_loaded(self, name: str) -> bool:
        return name in self._loaded

    def tasks(self) -> list[Task]:
        """The tasks that have converters, in the order of their first declaration."""
        return list(dict.fromkeys(s.task for s in self._specs.values()))

    def tabs(self, task: Task) -> dict[str, list[ConverterSpec]]:
        """The demo tabs of ``task``: tab title → its converters (variants of one family), in declaration order."""
        grouped: dict[str, list[ConverterSpec]] = {}
        for spec in self._specs.values():
            if spec.task == task:
                grouped.setdefault(spec.tab or spec.title, []).append(spec)
        return grouped

    def trainers(self) -> dict[str, str]:
        """Trainer name (its package's last part: ``parekh``) → trainer module, for every learned converter."""
        return {s.trainer.split(".")[-2]: s.trainer for s in self._specs.values() if s.trainer}


def default_registry() -> Registry:
    """The built-in converters (models/converters.py), in the order the demo shows them."""
    from models.converters import BUILTIN

    return Registry(list(BUILTIN))
