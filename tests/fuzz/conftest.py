"""The fuzz runs: Stapel served for real, attacked by schemathesis and hypothesis-graphql.

Not part of ``make test``: ``make fuzz`` (and the CI stage of that name) runs them, on a time
budget for the REST operations (``STAPEL_FUZZ_SECONDS``, 150 by default) and a number of
examples for GraphQL (``STAPEL_FUZZ_GRAPHQL_EXAMPLES``, 600). Generation is deterministic: the
same requests in the same order on every run, so a run does not flap; a faster machine only
gets further along the same sequence.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.credentials.helpers import issue, published_achievement
from tests.factories import Tenant
from tests.serving import serve_on_test_database


@pytest.fixture
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from serve_on_test_database(database_url, tmp_path_factory, None)


@pytest.fixture
async def seeded(client: httpx.AsyncClient, tenant: Tenant) -> dict[str, Any]:
    """Something for the fuzzer to find: a published achievement and a credential issued."""
    achievement = await published_achievement(client, tenant)
    return await issue(client, tenant, achievement["id"])
