from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.credentials.helpers import issue, published_achievement
from tests.factories import Tenant
from tests.serving import serve_on_test_database


@pytest.fixture
async def credential(client: httpx.AsyncClient, tenant: Tenant) -> dict[str, Any]:
    achievement = await published_achievement(client, tenant)
    return await issue(client, tenant, achievement["id"])


@pytest.fixture(scope="module")
def replica(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A second Stapel on the same database, under the same public name as the test app."""
    yield from serve_on_test_database(database_url, tmp_path_factory, "https://stapel.test")


@pytest.fixture(scope="module")
def live_server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Stapel reachable at the addresses it puts in its documents, as a wallet needs it."""
    yield from serve_on_test_database(database_url, tmp_path_factory, None)
