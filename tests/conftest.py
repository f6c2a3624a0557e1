"""Shared fixtures. A skipped test checks nothing, so any skip fails the run."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

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


@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL server for the whole run (evaluation/listening/pgcluster.py)."""
    import shutil

    from evaluation.listening.pgcluster import Cluster

    # Not under pytest's tmp folder: its parents are root's alone, and the server runs as postgres.
    folder = tempfile.mkdtemp(prefix="songbridge-pg-")
    cluster = Cluster(folder).start()
    yield cluster
    cluster.stop()
    shutil.rmtree(folder, ignore_errors=True)


def fresh_database(request, kind: str) -> str | None:
    """A new, empty PostgreSQL database's URL (``kind == "postgresql"``), or None for SQLite; every
    store opened on it is closed when the requesting test or module ends."""
    if kind == "sqlite":
        return None
    import uuid

    from evaluation.listening.database import PostgresDatabase

    url = request.getfixturevalue("postgres").create_database(f"t{uuid.uuid4().hex[:12]}")
    opened, original = [], PostgresDatabase.__init__

    def tracked(self, *args, **kwargs):
        original(self, *args, **kwargs)
        opened.append(self)

    def close_all() -> None:
        PostgresDatabase.__init__ = original
        for database in opened:  # a pool left open keeps its connections (the server allows 200)
            database.close()

    PostgresDatabase.__init__ = tracked
    request.addfinalizer(close_all)
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, monkeypatch) -> str:
    """Run the test once on SQLite and once on a fresh PostgreSQL database: every Store the test opens
    (in this process or a child) follows SONGBRIDGE_DATABASE_URL."""
    url = fresh_database(request, request.param)
    if url:
        monkeypatch.setenv("SONGBRIDGE_DATABASE_URL", url)
    else:
        monkeypatch.delenv("SONGBRIDGE_DATABASE_URL", raising=False)
    return request.param


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def module_database(request) -> Iterator[str]:
    """:func:`database` for a module's shared fixture (a server the module's tests all use)."""
    url = fresh_database(request, request.param)
    with pytest.MonkeyPatch.context() as mp:
        if url:
            mp.setenv("SONGBRIDGE_DATABASE_URL", url)
        else:
            mp.delenv("SONGBRIDGE_DATABASE_URL", raising=False)
        yield request.param
