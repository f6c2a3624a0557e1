"""Where the HiFi-GAN generator runs: PyTorch, OpenVINO or ONNX Runtime, each in fp32 or bf16.

``SONGBRIDGE_HIFIGAN_RUNTIME`` (auto, torch, openvino, onnxruntime) picks the runtime; auto is OpenVINO,
the fastest here whose output stays within LSD 0.05 of PyTorch fp32 (``python -m evaluation.tables.vocoders``
measures all of them side by side), when its package imports and the conversion works, else PyTorch.
``SONGBRIDGE_HIFIGAN_PRECISION`` (auto, fp32, bf16) applies to PyTorch and OpenVINO; ONNX Runtime's CPU
kernels are fp32 only. A runtime that fails to load falls back to PyTorch with a logged warning: the
vocoder never stops working because an accelerator library is missing.

OpenVINO converts the PyTorch module itself (about 10 s on one core) and ONNX Runtime needs an ONNX export
(about 3 s, and the ``onnx`` package); both are cached under ``SONGBRIDGE_CACHE_DIR`` (default
``~/.cache/songbridge``), keyed by the weights' hash and the library's version, so later starts read
them back in a fraction of a second.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

RUNTIMES = ("torch", "openvino", "onnxruntime")
_EXAMPLE_FRAMES = 64  # the trace's input length; the runtimes take any length after it


def resolve_runtime(runtime: str = "auto") -> str:
    """``SONGBRIDGE_HIFIGAN_RUNTIME`` overrides ``runtime``; auto is OpenVINO when it imports, else PyTorch."""
    runtime = os.environ.get("SONGBRIDGE_HIFIGAN_RUNTIME", runtime)
    if runtime not in {"auto", *RUNTIMES}:
        raise ValueError(f"HiFi-GAN runtime {runtime!r} is not one of auto, {', '.join(RUNTIMES)}")
    if runtime == "auto":
        import importlib.util

        return "openvino" if importlib.util.find_spec("openvino") is not None else "torch"
    return runtime


@dataclass
class Runner:
    """The generator behind one runtime: ``run(mel (1, n_mels, T) float32) → samples (T · hop,) float32``."""

    runtime: str
    precision: str
    run: Callable[[np.ndarray], np.ndarray]
    #: the PyTorch module it runs, where the progress hooks attach (PyTorch only)
    module: Any = None


def torch_runner(module) -> Runner:
    """PyTorch itself, at the module's own dtype (fp32, or bf16 after ``module.to(torch.bfloat16)``)."""
    import torch

    dtype = next(module.parameters()).dtype

    def run(mel: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return module(torch.from_numpy(mel).to(dtype))[0, 0].float().numpy()

    return Runner("torch", "bf16" if dtype == torch.bfloat16 else "fp32", run, module)


def cache_dir() -> str:
    """``SONGBRIDGE_CACHE_DIR``, else ``~/.cache/songbridge``; a temporary folder when neither is writable."""
    folder = os.environ.get("SONGBRIDGE_CACHE_DIR") or os.path.join(
        os.path.expanduser("~"), ".cache", "songbridge"
    )
    try:
        os.makedirs(folder, exist_ok=True)
        if os.access(folder, os.W_OK):
            return folder
    except OSError:
        pass
    return tempfile.mkdtemp(prefix="songbridge-")


def weights_key(generator) -> str:
    """A short hash of the generator's weights: a cached conversion belongs to exactly these weights."""
    digest = hashlib.sha256()
    for name, tensor in sorted(generator.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().float().contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]


def openvino_runner(generator, precision: str, threads: int) -> Runner:
    import openvino as ov

    core = ov.Core()
    version = re.sub(r"[^A-Za-z0-9.]+", "-", ov.__version__)  # e.g. "2026.4.1-22982-…-releases/2026/4"
    path = os.path.join(cache_dir(), f"hifigan-{weights_key(generator)}-openvino-{version}.xml")
    if os.path.exists(path):
        model = core.read_model(path)
    else:
        import torch

        example = torch.zeros(1, generator.config.n_mels, _EXAMPLE_FRAMES)
        model = ov.convert_model(generator, example_input=example)
        model.reshape([1, generator.config.n_mels, -1])  # any number of frames
        # fp16 compression would change the weights (and the output) of the cached model
        _save_atomically(path, lambda tmp: ov.save_model(model, tmp, compress_to_fp16=False), also=(".bin",))
    hint = "bf16" if precision == "bf16" else "f32"
    config = {
        "INFERENCE_NUM_THREADS": threads,
        "INFERENCE_PRECISION_HINT": hint,
        "PERFORMANCE_HINT": "LATENCY",
    }
    compiled = core.compile_model(model, "CPU", config)
    request = compiled.create_infer_request()

    def run(mel: np.ndarray) -> np.ndarray:
        return np.array(request.infer([mel])[0][0, 0], dtype=np.float32)

    return Runner("openvino", precision, run)


def onnxruntime_runner(generator, threads: int) -> Runner:
    import onnxruntime as ort

    path = os.path.join(cache_dir(), f"hifigan-{weights_key(generator)}-opset17.onnx")
    if not os.path.exists(path):
        import torch

        example = torch.zeros(1, generator.config.n_mels, _EXAMPLE_FRAMES)

        def export(tmp: str) -> None:
            torch.onnx.export(
                generator, (example,), tmp, input_names=["mel"], output_names=["wave"], opset_version=17,
                dynamic_axes={"mel": {2: "frames"}, "wave": {2: "samples"}}, dynamo=False,
            )  # fmt: skip

        _save_atomically(path, export)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])

    def run(mel: np.ndarray) -> np.ndarray:
        return session.run(None, {"mel": mel})[0][0, 0]

    return Runner("onnxruntime", "fp32", run)


def _save_atomically(path: str, write: Callable[[str], None], also: tuple[str, ...] = ()) -> None:
    """``write(temporary path)`` then rename, so a half-written conversion is never read back; ``also``:
    suffixes of companion files the writer makes beside it (OpenVINO's weights .bin)."""
    stem, suffix = os.path.splitext(path)
    tmp = f"{stem}.tmp{os.getpid()}-{threading.get_ident()}{suffix}"  # two loaders never share a temporary
    write(tmp)
    for extra in also:
        os.replace(os.path.splitext(tmp)[0] + extra, stem + extra)
    os.replace(tmp, path)


def load_runner(generator, *, runtime: str = "auto", precision: str = "fp32") -> Runner:
    """The generator on ``runtime`` (after :func:`resolve_runtime`) at ``precision``; PyTorch when that
    runtime cannot load here, with the reason in the log."""
    import torch

    runtime = resolve_runtime(runtime)
    threads = torch.get_num_threads()
    try:
        if runtime == "openvino":
            return openvino_runner(generator, precision, threads)
        if runtime == "onnxruntime":
            return onnxruntime_runner(generator, threads)
    except Exception as error:  # an optional library failing must not take the vocoder down
        log.warning("HiFi-GAN on %s did not load (%s); running it on PyTorch instead", runtime, error)
    return torch_runner(generator.to(torch.bfloat16) if precision == "bf16" else generator)
