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
    ``checkpoint`` is None) and returns a :class:`~models.base.Converter`.
    """

    name: str
    task: Task
    title: str
    description: str
    factory: str
    checkpoint: str | None = None

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
                self._loaded[name] = factory(path) if path is not None else factory()
            return self._loaded[name]

    def is_loaded(self, name: str) -> bool:
        return name in self._loaded


BUILTIN = [
    ConverterSpec(
        name="vocoder-check",
        task=Task.RESYNTHESIS,
        title="Vocoder check",
        description="Analyse a voice into a mel spectrogram and resynthesize it with HiFi-GAN or Griffin-Lim: "
        "the quality ceiling every converter lives under.",
        factory="models.resynthesis:VocoderCheck",
    ),
    ConverterSpec(
        name="world-sts",
        task=Task.SPEECH_TO_SINGING,
        title="Speech → Singing (WORLD)",
        description="model-based (Saitou et al. 2007): syllables stretched onto the notes, singing F0 with "
        "overshoot, preparation and vibrato, singer's formant; no training, any voice",
        factory="models.dsp.world_sts:WorldSpeechToSinging",
    ),
    ConverterSpec(
        name="world-s2s",
        task=Task.SINGING_TO_SPEECH,
        title="Singing → Speech (WORLD)",
        description="model-based baselines: speech-like intonation (nodur), and shortened vowels too (dur)",
        factory="models.dsp.world_s2s:WorldSingingToSpeech",
    ),
    ConverterSpec(
        name="s2s-flow",
        task=Task.SINGING_TO_SPEECH,
        title="Singing → Speech (flow)",
        description="generative flow with monotonic alignment search (after Huang & Benetos 2025, on Glow-TTS); "
        "trained on the synthetic corpus, HiFi-GAN output",
        factory="models.s2s_flow.converter:S2SFlowConverter",
        checkpoint="s2s-flow.pt",
    ),
    *(
        ConverterSpec(
            name=f"parekh-{short}",
            task=Task.SPEECH_TO_SINGING,
            title=f"Speech → Singing (ICASSP 2020, {label})",
            description=f"encoder–decoder of Parekh, Rao & Yang (ICASSP 2020), {label}; trained on the synthetic "
            "corpus, Griffin-Lim output",
            factory="models.parekh.converter:ParekhConverter",
            checkpoint=f"parekh-{variant}.pt",
        )
        for short, variant, label in (
            ("mtl", "p-mtl", "P-MTL: with the phoneme head"),
            ("mse", "p-mse", "P-MSE"),
            ("b2", "b2", "Baseline 2: no instance norm, no skips"),
        )
    ),
    ConverterSpec(
        name="alignsts",
        task=Task.SPEECH_TO_SINGING,
        title="Speech → Singing (AlignSTS)",
        description="rhythm adaptor and cross-modal aligner of Li et al. (ACL Findings 2023), scaled down, with "
        "our own phoneme recognizer for content; trained on the synthetic corpus, HiFi-GAN output",
        factory="models.alignsts.converter:AlignSTSConverter",
        checkpoint="alignsts.pt",
    ),
    ConverterSpec(
        name="vae-growl",
        task=Task.STYLE,
        title="Voice style (VAE)",
        description="convolutional VAE on log-mel patches after the 'Scream Machine' blog: clean voice → growl; "
        "trained on the corpus's synthetic DSP growl, style strength by latent interpolation",
        factory="models.vae_style.converter:VAEStyleConverter",
        checkpoint="vae-growl.pt",
    ),
]


def default_registry() -> Registry:
    return Registry(list(BUILTIN))
