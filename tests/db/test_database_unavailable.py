"""A database that cannot take a request now answers a retryable 503, with nothing stored.

Both states are provoked for real, for an app that connects as a role of the test's own: the
role's CONNECTION LIMIT 0 refuses every connection (SQLSTATE 53300, as at max_connections), and
its ``default_transaction_read_only`` refuses every write (25006, as on a demoted primary).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import asyncpg
import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import get_settings
from app.main import create_app
from app.problems import PROBLEM_MEDIA_TYPE
from tests.conftest import BASE_URL
from tests.databases import asyncpg_dsn
from tests.factories import Tenant, achievement_payload


class Role:
    """A login role with read and write access to every table, and a URL that connects as it."""

    def __init__(self, database_url: str) -> None:
        self.name = f"stapel_test_role_{uuid.uuid4().hex[:8]}"
        self.url = make_url(database_url).set(username=self.name, password=None)
        self._admin_dsn = asyncpg_dsn(database_url)

    async def alter(self, clause: str) -> None:
        conn = await asyncpg.connect(self._admin_dsn)
        try:
            await conn.execute(f'ALTER ROLE "{self.name}" {clause}')
        finally:
            await conn.close()

    async def create(self) -> None:
        conn = await asyncpg.connect(self._admin_dsn)
        try:
            await conn.execute(f'CREATE ROLE "{self.name}" LOGIN')
            await conn.execute(f'GRANT pg_read_all_data, pg_write_all_data TO "{self.name}"')
        finally:
            await conn.close()

    async def drop(self) -> None:
        conn = await asyncpg.connect(self._admin_dsn)
        try:
            await conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1",
                self.name,
            )
            await conn.execute(f'DROP ROLE IF EXISTS "{self.name}"')
        finally:
            await conn.close()


@pytest.fixture
async def role(database_url: str) -> AsyncIterator[Role]:
    created = Role(database_url)
    await created.create()
    yield created
    await created.drop()


@asynccontextmanager
async def client_as(role: Role) -> AsyncIterator[httpx.AsyncClient]:
    """An app of its own, started and serving, whose every connection is the role's."""
    url = role.url.render_as_string(hide_password=False)
    app = create_app(get_settings().model_copy(update={"database_url": url}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
            yield http


def _assert_retryable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert response.headers["Retry-After"] == "2"
    assert response.json()["code"] == "database_unavailable"


async def _achievements(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    async with sessionmaker() as session:
        return int((await session.execute(text("SELECT count(*) FROM achievements"))).scalar_one())


@pytest.fixture(autouse=True)
def _quiet(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    yield
    assert "unhandled error" not in caplog.text, "answered as an internal error"


async def test_a_refused_connection_at_the_connection_limit_answers_503_and_stores_nothing(
    role: Role, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await role.alter("CONNECTION LIMIT 0")
    async with client_as(role) as client:
        response = await client.post(
            "/v1/achievements", json=achievement_payload(), headers=tenant.headers
        )
    _assert_retryable(response)
    assert await _achievements(sessionmaker) == 0


async def test_a_write_refused_as_read_only_answers_503_stores_nothing_and_is_not_met_again(
    role: Role, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await role.alter("SET default_transaction_read_only = on")
    async with client_as(role) as client:
        refused = await client.post(
            "/v1/achievements", json=achievement_payload(), headers=tenant.headers
        )
        _assert_retryable(refused)
        assert await _achievements(sessionmaker) == 0

        # The address now leads to a writable server (here: new sessions may write again).
        # A pooled connection keeps its session's read-only default: only a new one can write,
        # so the retry succeeds only because the refusal dropped the pool.
        await role.alter("RESET default_transaction_read_only")
        retried = await client.post(
            "/v1/achievements", json=achievement_payload(), headers=tenant.headers
        )
    assert retried.status_code == 201, retried.text
    assert await _achievements(sessionmaker) == 1
