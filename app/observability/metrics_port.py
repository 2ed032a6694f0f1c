"""``stapel serve --metrics-port``: ``/metrics`` on a port of its own, off the public API port.

The metrics tell route templates, request rates and pool use of the whole instance; they are for
Prometheus inside the network, not for anyone who can reach the API. The port is served by the
process that ``stapel serve`` starts (uvicorn's supervisor when there are several workers), from
a thread, with prometheus_client's own server: with several workers it adds up their files in
``PROMETHEUS_MULTIPROC_DIR``, with one it reads that worker's registry, which is this process's.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from prometheus_client import REGISTRY, CollectorRegistry, multiprocess, start_http_server
from prometheus_client.registry import Collector


def _registry(directory: Path | None) -> Collector:
    if directory is None:
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(directory))  # type: ignore[no-untyped-call]
    return registry


@contextmanager
def serving_metrics(host: str, port: int | None, directory: Path | None) -> Iterator[None]:
    """Serve ``/metrics`` on ``host:port`` for the block's length (nothing when ``port`` is None).

    ``directory`` is the multiprocess directory of the workers, or None for a single process.
    """
    if port is None:
        yield
        return
    server, thread = start_http_server(port, host, _registry(directory))
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
