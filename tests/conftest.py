"""Shared fixtures. A skipped test checks nothing, so any skip fails the run."""

from __future__ import annotations

import os
import tempfile

import numpy as np
import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
# The app opens the listening-test database at start; tests keep it out of the checkout.
os.environ.setdefault("SONGBRIDGE_DATA_DIR", tempfile.mkdtemp(prefix="songbridge-test-data-"))

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPEECH_EXAMPLE = os.path.join(ROOT, "examples", "speech_arctic_slt_a0009.wav")


def pytest_sessionfinish(session, exitstatus):
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and reporter.stats.get("skipped") and exitstatus == 0:
        reporter.write_line("FAILED: tests were skipped; a skipped test checks nothing.", red=True)
        session.exitstatus = 1


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@pytest.fixture
def write_wav(tmp_path):
    """Write samples to a WAV file in the test's folder and return its path."""
    import soundfile

    def write(
        samples: np.ndarray, sr: int = 22050, name: str = "input.wav", subtype: str | None = None
    ) -> str:
        path = str(tmp_path / name)
        soundfile.write(path, samples, sr, subtype=subtype)
        return path

    return write
