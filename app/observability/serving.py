"""What ``stapel serve`` needs around uvicorn: the per-worker app factory and the metrics directory.

Uvicorn starts each worker as a fresh process that imports :func:`create_served_app`, so logging
is configured there (and once more in the parent, for uvicorn's own lines). With several workers
the Prometheus metrics must be shared through files (:mod:`app.observability.metrics`); the
directory is chosen here, in the parent, before any worker starts.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from fastapi import FastAPI
from prometheus_client import multiprocess

from app.config import get_settings
from app.main import create_app
from app.observability.logging import configure_logging_from
from app.observability.metrics import MULTIPROCESS, MULTIPROCESS_DIR_ENV

SERVED_APP: Final = "app.observability.serving:create_served_app"

_METRIC_FILE = re.compile(r"^[a-z_]+_(?P<pid>\d+)\.db$")


def create_served_app() -> FastAPI:
    """The app as ``stapel serve`` runs it in every worker: logging configured, then the app."""
    settings = get_settings()
    configure_logging_from(settings)
    return create_app(settings)


def _remove_stale_metric_files(directory: Path) -> None:
    """Files of earlier runs would be added to this run's metrics; this process's stay."""
    for path in directory.glob("*.db"):
        match = _METRIC_FILE.match(path.name)
        if match and int(match["pid"]) != os.getpid():
            path.unlink(missing_ok=True)


@contextmanager
def metrics_directory(workers: int) -> Iterator[Path | None]:
    """Make sure several workers share their metrics through a directory, for the block's length.

    A ``PROMETHEUS_MULTIPROC_DIR`` set by the operator is used (and emptied of earlier runs'
    files); otherwise, with more than one worker, a fresh temporary directory is made, handed to
    the workers through the environment and removed afterwards. One worker needs none.
    """
    configured = os.environ.get(MULTIPROCESS_DIR_ENV)
    if configured:
        directory = Path(configured)
        directory.mkdir(parents=True, exist_ok=True)
        _remove_stale_metric_files(directory)
        try:
            yield directory
        finally:
            if MULTIPROCESS:  # this process's live gauges (the pool) must not outlive it
                multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]
        return
    if workers <= 1:
        yield None
        return
    created = Path(tempfile.mkdtemp(prefix="stapel-metrics-"))
    os.environ[MULTIPROCESS_DIR_ENV] = str(created)
    try:
        yield created
    finally:
        os.environ.pop(MULTIPROCESS_DIR_ENV, None)
        shutil.rmtree(created, ignore_errors=True)
