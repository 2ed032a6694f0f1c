"""Test fixtures: a real Postgres, migrated by Alembic, and the app over real ASGI HTTP.

The database is the embedded Postgres unless ``STAPEL_TEST_DATABASE_URL`` names another server.
Each test session gets a fresh database; each test starts from empty tables.
"""

from __future__ import annotations

import asyncio
import base64
import os
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

os.environ.setdefault("STAPEL_KEY_ENCRYPTION_KEY", base64.b64encode(b"k" * 32).decode())
os.environ.setdefault("STAPEL_LEARNER_LOOKUP_KEY", base64.b64encode(b"l" * 32).decode())
os.environ["STAPEL_PUBLIC_BASE_URL"] = "https://stapel.test"
# The metrics tests scrape the app itself; served processes are given --metrics-port instead.
os.environ.setdefault("STAPEL_METRICS_ON_API_PORT", "true")
os.environ.setdefault("STAPEL_DATABASE_URL", "postgresql://unset/unset")
# Every request of the suite comes from one address and a few keys; the tests of the limits
# (tests/http) switch them on for themselves.
os.environ.setdefault("STAPEL_RATE_LIMITS_ENABLED", "false")

from app.achievements import catalogue_cache
from app.certificates.development import CertificateAuthority
from app.config import get_settings
from app.db.base import Base
from app.db.migrate import upgrade_to_head
from app.db.models import __all__ as _all_models  # noqa: F401
from app.main import create_app
from app.process_cache import clear_all as clear_process_caches
from app.process_cache import finish_all_renewals
from app.status_lists.reserve import forget_reserved_slots
from tests.databases import asyncpg_dsn, recreate_database, url_with_database
from tests.eudi.certified import trusted_ca_for_the_test
from tests.factories import Tenant

BASE_URL = "https://stapel.test"

# A second Stapel instance, for the tests that verify another instance's credentials.
pytest_plugins = ["tests.verification.other_instance"]


def _server_url() -> str:
    configured = os.environ.get("STAPEL_TEST_DATABASE_URL")
    if configured:
        return configured
    from app.db import embedded

    return embedded.start(Path(tempfile.mkdtemp(prefix="stapel-test-pg-")), cleanup="delete")


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    server = _server_url()
    name = f"stapel_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(recreate_database(server, name))
    url = url_with_database(server, name)
    os.environ["STAPEL_DATABASE_URL"] = url
    get_settings.cache_clear()
    upgrade_to_head(url)
    yield url
    asyncio.run(recreate_database(server, name, drop_only=True))


@pytest.fixture(scope="session")
async def app(database_url: str) -> AsyncIterator[FastAPI]:
    application = create_app(get_settings())
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture(scope="session")
def sessionmaker(app: FastAPI) -> async_sessionmaker[AsyncSession]:
    maker: async_sessionmaker[AsyncSession] = app.state.sessionmaker
    return maker


@pytest.fixture
def pool_checkouts(app: FastAPI) -> Iterator[list[float]]:
    """When each connection was taken from the app's pool while the test ran."""
    taken: list[float] = []
    pool = app.state.engine.sync_engine.pool

    def note(*_: object) -> None:
        taken.append(time.monotonic())

    event.listen(pool, "checkout", note)
    yield taken
    event.remove(pool, "checkout", note)


async def _truncate_all(url: str) -> None:
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    finally:
        await conn.close()


@pytest.fixture(autouse=True)
def _clean_tables(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test that touches the database leaves empty tables behind.

    A plain (sync) fixture with its own connection, so it serves sync tests (the command line
    runs its own event loop) as well as async ones.
    """
    url = (
        request.getfixturevalue("database_url") if "database_url" in request.fixturenames else None
    )
    yield
    if url is not None:
        asyncio.run(_truncate_all(url))
        forget_reserved_slots()  # they belonged to status lists that are gone now
        catalogue_cache.changed()  # cached catalogue results belonged to those rows
        clear_process_caches()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        yield http
    # A cache renewal the test's requests started must not outlive the test: its tables are
    # emptied next, while this event loop stands still.
    await finish_all_renewals()


@pytest.fixture
async def operator(sessionmaker: async_sessionmaker[AsyncSession]) -> str:
    from tests.factories import operator_token

    return await operator_token(sessionmaker)


@pytest.fixture
async def tenant(client: httpx.AsyncClient, operator: str) -> Tenant:
    from tests.factories import create_tenant

    return await create_tenant(client, operator)


@pytest.fixture
async def suspending_tenant(client: httpx.AsyncClient, operator: str) -> Tenant:
    """An institution whose credentials can be suspended (``suspendable_credentials``)."""
    from tests.factories import create_tenant

    return await create_tenant(client, operator, suspendable_credentials=True)


@pytest.fixture
async def other_tenant(client: httpx.AsyncClient, operator: str) -> Tenant:
    from tests.factories import create_tenant

    return await create_tenant(client, operator, display_name="Universiteit Elders")


@pytest.fixture
def trusted_ca() -> Iterator[CertificateAuthority]:
    """A CA of the test's own, the only trust anchor while the test runs."""
    yield from trusted_ca_for_the_test()


# Checks whose outcome does not depend on which Postgres runs under them (a browser, a socket, a
# wheel, a JavaScript verifier), and that take long: CI's second run, on another Postgres, skips
# them (-m "not once"). Each still runs on every `make test`.
_ONCE = (
    "tests/browser/",
    "tests/conformance/",
    "tests/http/test_connections.py",
    "tests/http/test_rate_limits.py",
    "tests/http/test_shutdown.py",
    "tests/test_packaging.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    root = Path(__file__).resolve().parents[1]
    for item in items:
        where = item.path.relative_to(root).as_posix()
        if where.startswith(_ONCE):
            item.add_marker(pytest.mark.once)
