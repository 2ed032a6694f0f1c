"""``stapel worker``: the worker as its own process, with a small health/metrics port."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Iterator

import uvicorn
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.config import Settings
from app.db.session import create_engine, create_sessionmaker
from app.observability.health import (
    NotReady,
    check_readiness,
    create_probe_engine,
    migration_heads,
    pool_state,
)
from app.observability.metrics import render_latest
from app.runtime import settle_heap
from app.status_lists.reserve import close_claiming_connections
from app.worker.runner import Worker


class _StatusServer(uvicorn.Server):
    """The status port's server leaves SIGTERM/SIGINT to the worker, which stops it."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _status_app(probe_engine: AsyncEngine, engine: AsyncEngine, settings: Settings) -> Starlette:
    """What probes and Prometheus need of a worker: alive, ready, and its metrics.

    Readiness asks over ``probe_engine`` (see :func:`create_probe_engine`), not the loops' pool
    (``engine``), whose fullness it reports beside.
    """
    heads = migration_heads()

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> Response:
        outcome = await check_readiness(probe_engine, heads)
        if isinstance(outcome, NotReady):
            return JSONResponse({"status": "not_ready", "check": outcome.check}, status_code=503)
        outcome.pool = pool_state(engine, settings)
        return JSONResponse(outcome.model_dump())

    async def metrics(_: Request) -> Response:
        body, content_type = render_latest()
        return Response(body, media_type=content_type)

    return Starlette(
        routes=[Route("/healthz", healthz), Route("/readyz", readyz), Route("/metrics", metrics)]
    )


async def run_worker(settings: Settings, metrics_port: int | None, metrics_host: str) -> None:
    engine = create_engine(settings)
    worker = Worker(settings, create_sessionmaker(engine))
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, worker.stop)
    server = None
    probe_engine = create_probe_engine(settings)
    if metrics_port is not None:
        config = uvicorn.Config(
            _status_app(probe_engine, engine, settings),
            host=metrics_host,
            port=metrics_port,
            log_level="warning",
            lifespan="off",
        )
        server = _StatusServer(config)
    serving = asyncio.create_task(server.serve()) if server else None
    settle_heap()
    try:
        await worker.run()
    finally:
        if server is not None and serving is not None:
            server.should_exit = True
            with contextlib.suppress(Exception):
                await serving
        await engine.dispose()
        await close_claiming_connections()
        await probe_engine.dispose()
