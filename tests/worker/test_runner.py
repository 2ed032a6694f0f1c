"""A failed batch is taken one result at a time; only a failure of the result's own is counted.

An unavailable database is provoked for real: the connection processing the results is
terminated by the server (``pg_terminate_backend``), as in a restart or a failover.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence

import asyncpg
import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import get_settings
from app.db.unavailable import database_unavailable
from app.sis.models import SisResult
from app.worker import runner
from app.worker.runner import Worker
from tests.databases import asyncpg_dsn
from tests.factories import Tenant
from tests.sis.simulator import connect_sis, course_result, drain

BUG = "bug"
LOST_CONNECTION = "lost_connection"


class Processing:
    """Stands in for ``process_claimed``: each call fails the next way it was given."""

    def __init__(self, database_url: str, *failures: str) -> None:
        self.admin_dsn = asyncpg_dsn(database_url)
        self.failures = list(failures)
        self.calls = 0

    async def __call__(self, session: AsyncSession, claimed: Sequence[SisResult]) -> dict[str, int]:
        self.calls += 1
        failure = self.failures.pop(0)
        if failure == LOST_CONNECTION:
            pid = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            admin = await asyncpg.connect(self.admin_dsn)
            try:
                await admin.execute("SELECT pg_terminate_backend($1)", pid)
            finally:
                await admin.close()
            await session.execute(text("SELECT 1"))
        raise RuntimeError("a processing bug")


@pytest.fixture
async def worker(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[Worker]:
    made = Worker(get_settings().model_copy(update={"sis_max_attempts": 2}), sessionmaker)
    yield made
    await made.sender.aclose()


async def _results(sessionmaker: async_sessionmaker[AsyncSession]) -> list[tuple[str, int]]:
    async with sessionmaker() as session:
        rows = await session.execute(text("SELECT status, attempts FROM sis_results ORDER BY id"))
        return [(row.status, row.attempts) for row in rows]


async def _two_results(client: httpx.AsyncClient, tenant: Tenant) -> None:
    sis = await connect_sis(client, tenant)
    response = await sis.batch([course_result(), course_result()])
    assert response.status_code == 202, response.text


async def test_a_result_alone_meeting_an_unavailable_database_stays_pending_and_uncounted(
    client: httpx.AsyncClient,
    tenant: Tenant,
    database_url: str,
    sessionmaker: async_sessionmaker[AsyncSession],
    worker: Worker,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await _two_results(client, tenant)
    # The batch fails for a reason of its own; then the first result alone loses its connection.
    processing = Processing(database_url, BUG, LOST_CONNECTION)
    monkeypatch.setattr(runner, "process_claimed", processing)

    with caplog.at_level(logging.WARNING, logger=runner.__name__), pytest.raises(DBAPIError) as met:
        await worker.sis_round()

    assert database_unavailable(met.value)  # to the loop, which backs off
    assert processing.calls == 2, "the second result is not tried while the database is away"
    assert await _results(sessionmaker) == [("pending", 0), ("pending", 0)]
    warning = next(r for r in caplog.records if "left pending" in r.getMessage())
    assert warning.levelno == logging.WARNING
    assert "student" not in caplog.text.lower()

    monkeypatch.undo()
    await drain(sessionmaker)
    assert await _results(sessionmaker) == [("issued", 0), ("issued", 0)]


async def test_a_batch_meeting_an_unavailable_database_is_not_taken_apart_or_counted(
    client: httpx.AsyncClient,
    tenant: Tenant,
    database_url: str,
    sessionmaker: async_sessionmaker[AsyncSession],
    worker: Worker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await _two_results(client, tenant)
    processing = Processing(database_url, LOST_CONNECTION)
    monkeypatch.setattr(runner, "process_claimed", processing)

    with pytest.raises(DBAPIError) as met:
        await worker.sis_round()

    assert database_unavailable(met.value)
    assert processing.calls == 1
    assert await _results(sessionmaker) == [("pending", 0), ("pending", 0)]


async def test_a_result_failing_alone_counts_an_attempt_and_is_dead_lettered_after_the_last(
    client: httpx.AsyncClient,
    tenant: Tenant,
    database_url: str,
    sessionmaker: async_sessionmaker[AsyncSession],
    worker: Worker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await _two_results(client, tenant)
    monkeypatch.setattr(runner, "process_claimed", Processing(database_url, *[BUG] * 6))

    assert await worker.sis_round() == 2
    assert await _results(sessionmaker) == [("pending", 1), ("pending", 1)]
    async with sessionmaker() as session, session.begin():
        reasons = await session.execute(text("SELECT reason_code FROM sis_results"))
        assert set(reasons.scalars()) == {"processing_error"}
        await session.execute(text("UPDATE sis_results SET next_attempt_at = now()"))

    assert await worker.sis_round() == 2
    assert await _results(sessionmaker) == [("dead", 2), ("dead", 2)]
