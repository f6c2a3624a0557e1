"""A throwaway PostgreSQL server in a folder of its own, for the tests and the load test: ``initdb`` and
``pg_ctl`` from Debian's ``postgresql`` package, trust authentication on 127.0.0.1 and a free port, run as
the unprivileged ``postgres`` user when we are root (PostgreSQL refuses to run as root). Not for studies:
a real study's database is one the researcher runs and backs up (README, "A study on PostgreSQL")."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess

USER = "songbridge"


def _tool(name: str) -> str:
    debian = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))  # not on PATH: the newest version's
    found = shutil.which(name) or (debian[-1] if debian else None)
    if found is None:
        raise RuntimeError(f"{name} not found: install PostgreSQL (Debian: apt-get install postgresql).")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """``with Cluster(folder) as pg: url = pg.create_database("study")``; stopped and left in ``folder``."""

    def __init__(self, folder: str, *, durable: bool = False, max_connections: int = 200) -> None:
        self.folder, self.data = os.path.abspath(folder), os.path.join(os.path.abspath(folder), "data")
        self.port, self.durable, self.max_connections = free_port(), durable, max_connections
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _run(self, *args: str) -> None:
        done = subprocess.run([*self.as_user, *args], capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(
                f"{os.path.basename(args[0])} failed: {(done.stderr or done.stdout).strip()[-600:]}"
            )

    def start(self) -> Cluster:
        os.makedirs(self.folder, exist_ok=True)
        if self.as_user:
            shutil.chown(self.folder, user="postgres")
        self._run(_tool("initdb"), "-D", self.data, "--auth=trust", "-U", USER, "-E", "UTF8", "--no-sync")
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        options += f" -c max_connections={self.max_connections}"
        if not self.durable:  # tests: a crash of the machine may lose the cluster, and that is fine
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run(
            _tool("pg_ctl"),
            "-D",
            self.data,
            "-l",
            os.path.join(self.folder, "server.log"),
            "-o",
            options,
            "-w",
            "start",
        )
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """A new, empty database; its URL."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        if os.path.isdir(self.data):
            self._run(_tool("pg_ctl"), "-D", self.data, "-m", "immediate", "-w", "stop")

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
