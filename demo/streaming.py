"""Playing a conversion while it runs: the converter's vocoded pieces (``models.streaming``) go to the
browser's streaming player as they arrive, the finished conversion follows.

Gradio encodes a streamed output with ffmpeg; where ffmpeg is missing nothing streams and the tabs work
as before (the finished output only).
"""

from __future__ import annotations

import contextvars
import io
import queue
import shutil
from collections.abc import Callable, Generator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import numpy as np
import soundfile

from models.features import Audio
from models.streaming import streaming_to

T = TypeVar("T")


def can_stream() -> bool:
    """Gradio's streaming audio output needs the ffmpeg program."""
    return shutil.which("ffmpeg") is not None


def streamed(work: Callable[[], T]) -> Generator[Audio, None, T]:
    """Runs ``work()`` in a worker thread (with this context: Gradio's progress, the listener) and yields
    each vocoded piece as it comes; returns ``work()``'s result, or raises its error, once it is done."""
    pieces: queue.Queue[Audio] = queue.Queue()
    context = contextvars.copy_context()

    def run() -> T:
        with streaming_to(pieces.put):
            return work()

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="conversion") as pool:
        future = pool.submit(context.run, run)
        while not (future.done() and pieces.empty()):
            try:
                yield pieces.get(timeout=0.05)
            except queue.Empty:
                continue
        return future.result()


def wav_bytes(audio: Audio) -> bytes:
    """One piece as 16-bit WAV bytes: what Gradio's streaming player reads without a subprocess (a numpy
    piece would be peak-normalised on its own, changing the level from piece to piece)."""
    buffer = io.BytesIO()
    soundfile.write(buffer, np.clip(audio.samples, -1.0, 1.0), audio.sr, format="WAV", subtype="PCM_16")
    return buffer.getvalue()
