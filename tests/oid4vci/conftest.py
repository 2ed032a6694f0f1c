from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.credentials.helpers import issue, published_achievement
from tests.factories import Tenant
from tests.serving import free_port, serve_command, served


@pytest.fixture
async def credential(client: httpx.AsyncClient, tenant: Tenant) -> dict[str, Any]:
    achievement = await published_achievement(client, tenant)
    return await issue(client, tenant, achievement["id"])


def serve_on_test_database(
    database_url: str, tmp_path_factory: pytest.TempPathFactory, public_base_url: str | None
) -> Iterator[str]:
    """`stapel serve` as its own process on the test database; its loopback base URL.

    Without ``public_base_url`` the process names itself by its loopback address. Its caches
    are off: the tests empty the tables between tests.
    """
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        "STAPEL_DATABASE_URL": database_url,
        "STAPEL_PUBLIC_BASE_URL": public_base_url or base,
        "STAPEL_PROCESS_CACHE_SECONDS": "0",
        "STAPEL_STATUS_LIST_PROCESS_CACHE_SECONDS": "0",
        "STAPEL_FETCH_ALLOW_PRIVATE_ADDRESSES": "true",
    }
    output = tmp_path_factory.mktemp("served") / "serve.log"
    with served(serve_command(port), port, output, env=env):
        yield base


@pytest.fixture(scope="module")
def replica(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A second Stapel on the same database, under the same public name as the test app."""
    yield from serve_on_test_database(database_url, tmp_path_factory, "https://stapel.test")


@pytest.fixture(scope="module")
def live_server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Stapel reachable at the addresses it puts in its documents, as a wallet needs it."""
    yield from serve_on_test_database(database_url, tmp_path_factory, None)
