"""Every setting of the listening platform that comes from the environment, read in this one place
(the README's tables list them). Read at call time, so a test or a restart with other values sees them."""

from __future__ import annotations

import os

JOURNAL_MODES = ("WAL", "DELETE")


def on_space() -> bool:
    return bool(os.environ.get("SPACE_ID"))


def data_dir() -> str:
    """``SONGBRIDGE_DATA_DIR``, else ``/data`` on a Hugging Face Space, else ``./data``."""
    if os.environ.get("SONGBRIDGE_DATA_DIR"):
        return os.environ["SONGBRIDGE_DATA_DIR"]
    return "/data" if on_space() and os.path.isdir("/data") else "./data"


def journal_mode() -> str | None:
    """SONGBRIDGE_JOURNAL_MODE (upper-cased, checked by the store), or None when it is not set."""
    return os.environ.get("SONGBRIDGE_JOURNAL_MODE", "").upper() or None


def admin_token() -> str | None:
    """SONGBRIDGE_ADMIN_TOKEN, or None: then there is no admin tab and no admin route."""
    return os.environ.get("SONGBRIDGE_ADMIN_TOKEN") or None


def proxy_hops() -> int:
    """SONGBRIDGE_PROXY_HOPS: how many proxies in front of the app append to X-Forwarded-For (1 on a
    Hugging Face Space, 0 elsewhere by default). Only those entries are trusted: a client writes the rest."""
    default = "1" if on_space() else "0"
    try:
        return max(0, int(os.environ.get("SONGBRIDGE_PROXY_HOPS", default)))
    except ValueError:
        return int(default)


def database_url() -> str | None:
    """SONGBRIDGE_DATABASE_URL (``postgresql://user:password@host:port/database``): the listening store
    on PostgreSQL, shared by several app replicas; unset (the default): SQLite in the data folder."""
    return os.environ.get("SONGBRIDGE_DATABASE_URL", "").strip() or None


def database_pool() -> int:
    """SONGBRIDGE_DATABASE_POOL: PostgreSQL connections per app process (default 8): with N replicas the
    server needs N × this many (its max_connections is 100 by default)."""
    try:
        return max(1, int(os.environ.get("SONGBRIDGE_DATABASE_POOL", "8")))
    except ValueError:
        return 8


def child_environment(**extra: str) -> dict[str, str]:
    """This process's environment with ``extra`` added, for a program the store runs (pg_dump)."""
    return {**os.environ, **extra}
