"""Batch work on an existing engine: a list of independent tasks, each ``fn(*args)``, run ``local`` (one
after the other in this process, the default) or on a Dask cluster (``dask``): the scheduler at
``--scheduler``/DASK_SCHEDULER_ADDRESS, else a cluster of ``workers`` local processes started for the run.
Results come back in the order of the tasks, so a run on a cluster writes what the local run writes.

Dask does the scheduling and the data movement; nothing here schedules. ``fn`` and its arguments
travel to the workers by pickle: pass names and paths, and let the worker load its models (once per
worker process: cache them there, see :func:`evaluation.benchmark.run.score_task`).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator, Sequence
from urllib.parse import urlsplit

from models.errors import SongbridgeError

ENGINES = ("local", "dask")


class EngineError(SongbridgeError):
    """The engine cannot be used (not installed, scheduler unreachable)."""


def add_arguments(parser) -> None:
    """``--engine``, ``--workers`` and ``--scheduler`` on a command line."""
    parser.add_argument(
        "--engine", choices=ENGINES, default="local", help="where the batch runs: here (local) or on Dask"
    )
    parser.add_argument(
        "--workers", type=int, default=2, help="worker processes of a Dask cluster started for the run"
    )
    parser.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="a running Dask scheduler (tcp://host:8786; default: DASK_SCHEDULER_ADDRESS, else a local cluster)",
    )


def _reachable(address: str) -> None:
    """Fail at once, with the address, when nothing listens there (Dask itself waits out its timeout)."""
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    try:
        socket.create_connection((parts.hostname, parts.port or 8786), timeout=10).close()
    except OSError as error:
        raise EngineError(f"the Dask scheduler at {address} cannot be reached: {error}") from None


def run_tasks(
    fn: Callable,
    tasks: Sequence[tuple],
    *,
    engine: str = "local",
    workers: int = 2,
    scheduler: str | None = None,
) -> Iterator:
    """``fn(*task)`` for every task on the chosen engine, yielded in the order of the tasks as each is
    ready (a caller can write or report one result while the next runs); a task's exception is raised
    here. Exhaust or close the iterator: a cluster started for the run stops with it."""
    if engine == "local":
        for task in tasks:
            yield fn(*task)
        return
    if engine != "dask":
        raise EngineError(f"engine {engine!r} is not one of {', '.join(ENGINES)}")
    if not tasks:
        return
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise EngineError(
            "--engine dask needs Dask: pip install 'dask[distributed]' (it is in requirements-dev.txt)"
        ) from None
    address = scheduler or os.environ.get("DASK_SCHEDULER_ADDRESS")
    cluster = None
    if address is None:
        # processes, one thread each: the converters use torch, which is happiest one per process
        cluster = LocalCluster(
            n_workers=max(1, workers), threads_per_worker=1, processes=True, dashboard_address=None
        )
    try:
        if address is not None:
            _reachable(address)
        client = Client(address or cluster, timeout="30s")
        with client:
            for future in client.map(fn, *zip(*tasks, strict=True), pure=False):
                yield future.result()
    finally:
        if cluster is not None:
            cluster.close()
