"""The converter interface, its result, option handling and the checkpoint format.

Every converter — model-based or learned — is used the same way by the UI, the benchmark and the study
generator: ``converter.convert(audio, melody=..., options=converter.Options(...))``.
"""

from __future__ import annotations

import dataclasses
import enum
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, get_type_hints

import numpy as np

from models.errors import CheckpointError
from models.features import Audio, F0Track, FeatureSpec

# Re-exported so converters import the interface from one place.
__all__ = [
    "Audio",
    "Checkpoint",
    "ConversionResult",
    "Converter",
    "ProgressFn",
    "StageProgress",
    "StageTimer",
    "Task",
    "analysed_result",
    "load_checkpoint",
    "load_model",
    "make_options",
    "option",
    "option_fields",
    "save_checkpoint",
]

#: (overall fraction done 0..1, description of the stage running): what the UI's progress bar takes
ProgressFn = Callable[[float, str], None]
#: the fraction (0..1) of one piece of work done — a stage, a vocoder's synthesis — reported as it goes
StageProgress = Callable[[float], None]


class Task(enum.Enum):
    SPEECH_TO_SINGING = "speech → singing"
    SINGING_TO_SPEECH = "singing → speech"
    STYLE = "voice style"
    RESYNTHESIS = "resynthesis (vocoder check)"

    @property
    def title(self) -> str:
        """The task's name in titles and tabs: 'Speech → Singing'."""
        return _TASK_TITLES[self]


_TASK_TITLES = {
    Task.SPEECH_TO_SINGING: "Speech → Singing",
    Task.SINGING_TO_SPEECH: "Singing → Speech",
    Task.STYLE: "Voice style",
    Task.RESYNTHESIS: "Vocoder check",
}


@dataclass
class ConversionResult:
    """What a conversion returns: the output audio and what the UI plots.

    Spectrograms are HiFi-GAN log mels (80, T) whatever the model's own representation, so every tab
    plots the same picture. F0 tracks are in Hz with 0 where unvoiced.
    """

    audio: Audio
    input_mel: np.ndarray
    output_mel: np.ndarray
    input_f0: F0Track | None = None
    output_f0: F0Track | None = None
    target_f0: F0Track | None = None
    timings: dict[str, float] = field(default_factory=dict)
    #: sentences for the user about how the conversion went (a fallback taken, a clip trimmed …)
    notes: list[str] = field(default_factory=list)

    @property
    def total_seconds(self) -> float:
        return float(sum(self.timings.values()))


def analysed_result(source: Audio, output: Audio, *, target_f0: F0Track | None = None) -> ConversionResult:
    """A result with what every tab plots: both HiFi-GAN log mels and both F0 tracks (fast method)."""
    from models import features

    return ConversionResult(
        audio=output,
        input_mel=features.log_mel(source),
        output_mel=features.log_mel(output),
        input_f0=features.f0(source, method="fast"),
        output_f0=features.f0(output, method="fast"),
        target_f0=target_f0,
    )


class Converter(Protocol):
    name: str
    task: Task
    needs_melody: bool
    Options: type

    def convert(
        self,
        audio: Audio,
        *,
        melody: Any = None,
        options: Any = None,
        progress: ProgressFn | None = None,
    ) -> ConversionResult: ...


class StageTimer:
    """Collects per-stage wall-clock timings: ``with timer("vocoder") as within: ...``; reports progress too.

    ``within(fraction)`` lets a long stage say how much of it is done (0..1), so the overall progress moves
    inside the stage instead of waiting at its start.
    """

    def __init__(self, progress: ProgressFn | None = None, stages: int = 1) -> None:
        self.timings: dict[str, float] = {}
        self._progress = progress
        self._stages = max(1, stages)

    @contextmanager
    def __call__(self, stage: str) -> Iterator[StageProgress]:
        finished = len(self.timings)

        def within(fraction: float) -> None:
            if self._progress is not None:
                self._progress((finished + min(max(fraction, 0.0), 1.0)) / self._stages, stage)

        within(0.0)
        start = time.perf_counter()
        try:
            yield within
        finally:
            self.timings[stage] = self.timings.get(stage, 0.0) + time.perf_counter() - start


# ---------------------------------------------------------------------------------------------------------
# Options: one frozen dataclass per converter; the UI, the benchmark and study YAML fill it by field name.


def option(
    default: Any,
    help: str,
    *,
    label: str | None = None,
    choices: tuple | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
    step: float | None = None,
    advanced: bool = False,
) -> Any:
    """A dataclass field carrying what a control needs: help text, choices or range, and its group."""
    meta = {
        "help": help,
        "label": label,
        "choices": choices,
        "minimum": minimum,
        "maximum": maximum,
        "step": step,
        "advanced": advanced,
    }
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class OptionField:
    name: str
    type: type
    default: Any
    help: str
    label: str
    choices: tuple | None
    minimum: float | None
    maximum: float | None
    step: float | None
    advanced: bool


def option_fields(options_cls: type) -> list[OptionField]:
    """The fields of an Options dataclass with their metadata, in declaration order."""
    hints = get_type_hints(options_cls)
    out = []
    for f in dataclasses.fields(options_cls):
        meta = f.metadata
        out.append(
            OptionField(
                name=f.name,
                type=hints[f.name],
                default=f.default,
                help=meta.get("help", ""),
                label=meta.get("label") or f.name.replace("_", " ").capitalize(),
                choices=meta.get("choices"),
                minimum=meta.get("minimum"),
                maximum=meta.get("maximum"),
                step=meta.get("step"),
                advanced=meta.get("advanced", False),
            )
        )
    return out


def make_options(options_cls: type, values: dict[str, Any] | None = None) -> Any:
    """Build an Options instance from ``{field: value}``, converting strings and checking ranges.

    Raises ``ValueError`` naming the field and what is accepted.
    """
    values = dict(values or {})
    fields = {f.name: f for f in option_fields(options_cls)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ValueError(f"unknown option(s) {', '.join(unknown)}; known: {', '.join(fields) or 'none'}")
    kwargs = {}
    for name, value in values.items():
        f = fields[name]
        value = _coerce(f, value)
        if f.choices is not None and value not in f.choices:
            raise ValueError(f"option {name}={value!r} is not one of {', '.join(map(str, f.choices))}")
        if (f.minimum is not None and value < f.minimum) or (f.maximum is not None and value > f.maximum):
            raise ValueError(f"option {name}={value} is outside [{f.minimum}, {f.maximum}]")
        kwargs[name] = value
    return options_cls(**kwargs)


def _coerce(f: OptionField, value: Any) -> Any:
    try:
        if f.type is bool:
            if isinstance(value, str):
                if value.lower() not in {"true", "false", "1", "0", "yes", "no"}:
                    raise ValueError(value)
                return value.lower() in {"true", "1", "yes"}
            return bool(value)
        if f.type is int:
            if isinstance(value, float) and not value.is_integer():
                raise ValueError(value)
            return int(value)
        if f.type is float:
            return float(value)
        if f.type is str:
            return str(value)
    except (TypeError, ValueError):
        raise ValueError(f"option {f.name}={value!r} is not a valid {f.type.__name__}") from None
    return value


# ---------------------------------------------------------------------------------------------------------
# Checkpoints: one file, loadable with weights_only=True, loaded strictly.

CHECKPOINT_FORMAT = "songbridge-checkpoint"
CHECKPOINT_VERSION = 1


@dataclass
class Checkpoint:
    model: str
    config: dict
    feature_spec: FeatureSpec
    state_dict: dict
    train: dict = field(default_factory=dict)

    FORMAT: ClassVar[str] = CHECKPOINT_FORMAT
    VERSION: ClassVar[int] = CHECKPOINT_VERSION


def save_checkpoint(path: str | os.PathLike, checkpoint: Checkpoint) -> None:
    """Write atomically (a temporary file, then rename), so an interrupted save never leaves half a file."""
    import torch

    payload = {
        "format": CHECKPOINT_FORMAT,
        "version": CHECKPOINT_VERSION,
        "model": checkpoint.model,
        "config": checkpoint.config,
        "feature_spec": checkpoint.feature_spec.to_dict(),
        "state_dict": {k: v.detach().cpu().contiguous() for k, v in checkpoint.state_dict.items()},
        "train": checkpoint.train,
    }
    path = os.fspath(path)
    tmp = f"{path}.tmp"
    torch.save(payload, tmp)
    os.replace(tmp, path)


def training_data(train: dict) -> str:
    """What a checkpoint's train record says it learned from, in a few words (a conversion's note). A
    checkpoint trained before corpora were mixed records its one corpus at the top level."""
    records = train.get("corpora") or [train]
    if any("CC BY-SA 4.0" in r.get("licenses", []) for r in records):
        return "synthetic and real (PJS, CC BY-SA 4.0) pairs" if len(records) > 1 else "real PJS pairs"
    return "synthetic pairs"


def load_checkpoint(
    path: str | os.PathLike, *, model: str | None = None, feature_spec: FeatureSpec | None = None
) -> Checkpoint:
    """Read a checkpoint with ``weights_only=True`` and check what it is.

    Refuses (``CheckpointError``) a missing or foreign file, an unknown format version, another model's
    checkpoint, or one made with other signal settings than ``feature_spec``.
    """
    import torch

    path = os.fspath(path)
    if not os.path.isfile(path):
        raise CheckpointError(f"No checkpoint at {path}. Train it (see the README) or restore the file.")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:
        raise CheckpointError(
            f"{path} is not a readable checkpoint ({str(error).splitlines()[0][:160]})."
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{path} is not a Songbridge checkpoint (no '{CHECKPOINT_FORMAT}' format tag).")
    if payload.get("version") != CHECKPOINT_VERSION:
        raise CheckpointError(
            f"{path} has checkpoint format version {payload.get('version')!r}; this Songbridge reads version "
            f"{CHECKPOINT_VERSION}. Retrain it, or use the Songbridge release that wrote it."
        )
    if model is not None and payload.get("model") != model:
        raise CheckpointError(f"{path} holds a '{payload.get('model')}' model, not '{model}'.")
    spec = FeatureSpec.from_dict(payload["feature_spec"])
    if feature_spec is not None and spec != feature_spec:
        differences = ", ".join(
            f"{key} {value} vs {getattr(feature_spec, key)}"
            for key, value in spec.to_dict().items()
            if getattr(feature_spec, key) != value
        )
        raise CheckpointError(
            f"{path} was trained with other signal settings ({differences}); "
            "its features would not match this code's. Retrain it."
        )
    return Checkpoint(
        model=payload["model"],
        config=payload["config"],
        feature_spec=spec,
        state_dict=payload["state_dict"],
        train=payload.get("train", {}),
    )


def load_model(
    path: str | os.PathLike, *, model: str, feature_spec: FeatureSpec, build: Callable[[dict], Any]
) -> tuple[Any, Checkpoint]:
    """The one way a converter loads its network: :func:`load_checkpoint` (every check), then
    ``build(config["model"])``, its weights loaded strictly, in eval mode. Returns (network, checkpoint)."""
    checkpoint = load_checkpoint(path, model=model, feature_spec=feature_spec)
    network = build(checkpoint.config["model"])
    network.load_state_dict(checkpoint.state_dict, strict=True)
    network.eval()
    return network, checkpoint
