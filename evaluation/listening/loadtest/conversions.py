"""The converter load of ``--mode mixed``: conversions sent back to back through Gradio's queue,
as a demo visitor's browser sends them, while participants answer."""

from __future__ import annotations

import os
import threading
import time

EXAMPLE = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))),
    "examples",
    "speech_arctic_slt_a0009.wav",
)


class Conversions:
    """``workers`` threads, each converting the bundled example speech with world-sts and its default
    tune, again and again; ``running`` says whether a conversion is in flight right now."""

    def __init__(self, *, port: int, workers: int) -> None:
        self.url, self.workers = f"http://127.0.0.1:{port}/", workers
        self.done: list[float] = []  # seconds per finished conversion
        self.errors: list[str] = []
        self._active = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._loop, daemon=True) for _ in range(workers)]

    def running(self) -> bool:
        return self._active > 0

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=120)

    def _loop(self) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # gradio_client's telemetry stays off
        from gradio_client import Client, handle_file

        client = None
        while not self._stop.is_set():
            try:
                client = client or Client(self.url, verbose=False, analytics_enabled=False)
                with self._lock:
                    self._active += 1
                started = time.perf_counter()
                try:
                    # The default melody source (the built-in tune); note text, MIDI and reference left empty.
                    client.predict(
                        audio_path=handle_file(EXAMPLE), note_text="", midi_file=None,
                        reference_recording=None, api_name="/convert_world_sts",
                    )  # fmt: skip
                finally:
                    with self._lock:
                        self._active -= 1
                self.done.append(time.perf_counter() - started)
            except Exception as error:
                self.errors.append(f"{type(error).__name__}: {str(error)[:100]}")
                client = None
                time.sleep(1.0)
