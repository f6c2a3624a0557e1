"""Bounds on the files the app keeps: uploads, and conversion outputs (ours, and Gradio's copies of them).

Gradio stores every upload, and a copy of every file a handler returns, in its cache, and the converter
tabs write their outputs to the app's output folder first; left alone, both grow until the disk is full.
A sweep every ``cleanup_seconds`` deletes those older than ``max_age_minutes``, then the oldest until
together they hold at most ``max_total_mb``; when the server stops, it deletes them all.

Gradio's own ``delete_cache=(frequency, age)`` is not used: it has no size bound, and it would also
delete the cached copies of the bundled examples (made when the app is built, and never made again),
which breaks them. The sweep looks only at files this app's Blocks recorded as its own
(``Blocks.temp_file_sets``: uploads and returned files) and spares those that existed when the server
started (the examples) and those a component asked Gradio to keep.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import stat
import time
from collections.abc import Iterable
from dataclasses import dataclass

log = logging.getLogger(__name__)

MB = 1 << 20  # Gradio's "mb" (gr.FileSize.MB)


@dataclass(frozen=True)
class StorageLimits:
    """How much the app accepts and keeps on disk (settings: see :meth:`from_env` and README)."""

    #: the largest file one upload may be (Gradio answers 413 beyond it)
    max_upload_mb: float = 50.0
    #: uploads and outputs older than this are deleted
    max_age_minutes: float = 120.0
    #: uploads and outputs together hold at most this; the oldest are deleted first
    max_total_mb: float = 2048.0
    #: how often the sweep runs
    cleanup_seconds: float = 10.0

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * MB)

    @classmethod
    def from_env(cls, environ=os.environ) -> StorageLimits:
        """The limits from SONGBRIDGE_MAX_UPLOAD_MB, SONGBRIDGE_FILES_MAX_AGE_MINUTES,
        SONGBRIDGE_FILES_MAX_MB and SONGBRIDGE_CLEANUP_SECONDS; defaults for those not set."""
        names = {
            "max_upload_mb": "SONGBRIDGE_MAX_UPLOAD_MB",
            "max_age_minutes": "SONGBRIDGE_FILES_MAX_AGE_MINUTES",
            "max_total_mb": "SONGBRIDGE_FILES_MAX_MB",
            "cleanup_seconds": "SONGBRIDGE_CLEANUP_SECONDS",
        }
        values = {}
        for field, name in names.items():
            if environ.get(name, "").strip():
                value = float(environ[name])
                if not value > 0:
                    raise ValueError(f"{name} must be a positive number, not {environ[name]!r}.")
                values[field] = value
        return cls(**values)


def prune(paths: Iterable[str], *, max_age_s: float, max_bytes: float, now: float | None = None) -> list[str]:
    """Delete the regular files among ``paths`` last modified over ``max_age_s`` ago, then the oldest of
    the rest until they hold at most ``max_bytes``. Returns the deleted paths, oldest first. Files that
    vanish meanwhile are skipped; links and folders are left alone (never followed)."""
    now = time.time() if now is None else now
    entries = []
    for path in set(paths):
        try:
            st = os.lstat(path)
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode):
            entries.append((st.st_mtime, path, st.st_size))
    entries.sort()
    total = sum(size for _, _, size in entries)
    deleted = []
    for mtime, path, size in entries:
        if now - mtime <= max_age_s and total <= max_bytes:
            break
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)
            deleted.append(path)
        total -= size
    return deleted


def files_under(folder: str) -> list[str]:
    """Every file below ``folder`` (none if it does not exist)."""
    return [os.path.join(d, name) for d, _, names in os.walk(folder) for name in names]


def gradio_files(blocks) -> set[str]:
    """The files ``blocks`` recorded as its own (uploads, returned files), less those a component keeps."""
    files = set()
    for temp_set in list(blocks.temp_file_sets):
        files |= temp_set.copy()
    for block in list(blocks.blocks.values()):
        files -= getattr(block, "keep_in_cache", set())
    return files


def sweep(
    blocks, output_dir: str, limits: StorageLimits, *, spare: set[str], everything: bool = False
) -> int:
    """One pass over ``blocks``' Gradio files (but ``spare``) and ``output_dir``: deletes by age and total
    size (``everything``: all of them); returns how many files were deleted."""
    gradio = gradio_files(blocks) - spare
    max_age_s, max_bytes = (
        (-1.0, -1.0) if everything else (limits.max_age_minutes * 60, limits.max_total_mb * MB)
    )
    deleted = prune([*gradio, *files_under(output_dir)], max_age_s=max_age_s, max_bytes=max_bytes)
    gone = set(deleted) & gradio
    for temp_set in list(blocks.temp_file_sets):
        temp_set.difference_update(gone)
    for path in gone:  # Gradio keeps each file in a folder of its own: remove it once empty
        with contextlib.suppress(OSError):
            os.rmdir(os.path.dirname(path))
    if deleted:
        log.info("deleted %d old upload/output files", len(deleted))
    return len(deleted)


def cleanup_lifespan(output_dir: str, limits: StorageLimits):
    """A FastAPI lifespan for ``launch(app_kwargs={"lifespan": ...})``: sweeps every
    ``limits.cleanup_seconds`` while the server runs, and deletes every upload and output (and
    ``output_dir``) when it stops."""

    @contextlib.asynccontextmanager
    async def lifespan(app):
        blocks = app.get_blocks()
        spare = gradio_files(blocks)  # the bundled examples' cached copies, made when the app was built

        async def every_so_often():
            while True:
                await asyncio.sleep(limits.cleanup_seconds)
                try:
                    await asyncio.to_thread(sweep, blocks, output_dir, limits, spare=spare)
                except Exception:  # a failed sweep must not end the sweeping
                    log.exception("cleaning up old uploads and outputs failed")

        task = asyncio.create_task(every_so_often())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            sweep(blocks, output_dir, limits, spare=spare, everything=True)
            shutil.rmtree(output_dir, ignore_errors=True)

    return lifespan
