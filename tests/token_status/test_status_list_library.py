"""An independent Token Status List reader from npm follows revoke, suspend and reinstate.

``tests/eudi/node/token-status.mjs`` fetches the list from a served Stapel and reads an entry
with ``@sd-jwt/jwt-status-list`` (pinned in ``tests/eudi/node/package-lock.json``;
``tests/eudi/prepare`` installs it).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.token_status import service
from tests.credentials.helpers import issue, published_achievement
from tests.factories import create_tenant, operator_token
from tests.node import run_node_script
from tests.serving import ROOT, serve_on_test_database

NODE_DIR = ROOT / "tests" / "eudi" / "node"
LIBRARY = NODE_DIR / "node_modules" / "@sd-jwt" / "jwt-status-list" / "package.json"


@pytest.fixture(scope="module")
def live_server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from serve_on_test_database(database_url, tmp_path_factory, None)


def _read_with_library(uri: str, idx: int) -> dict[str, Any]:
    result: dict[str, Any] = run_node_script(
        NODE_DIR / "token-status.mjs", uri, str(idx), library=LIBRARY, prepare="tests/eudi/prepare"
    )
    return result


async def test_the_library_reads_each_status_change_from_the_served_list(
    live_server: str, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with httpx.AsyncClient(base_url=live_server, timeout=30) as http:
        tenant = await create_tenant(
            http, await operator_token(sessionmaker), suspendable_credentials=True
        )
        achievement = (await published_achievement(http, tenant))["id"]
        credential = await issue(http, tenant, achievement)
        async with sessionmaker() as session, session.begin():
            entry = await service.allocate_entry(
                session, uuid.UUID(tenant.id), uuid.UUID(credential["id"])
            )
        # Made in this process, which names itself https://stapel.test; the served one differs.
        uri = live_server + entry.uri.removeprefix("https://stapel.test")
        assert uri.startswith(f"{live_server}/status-lists/token/")

        first = _read_with_library(uri, entry.idx)
        assert first == {
            "contentType": "application/statuslist+jwt",
            "typ": "statuslist+jwt",
            "sub": uri,
            "bits": 2,
            "status": service.VALID,
        }
        steps = [
            ("suspend", {"reason_code": "under_investigation"}, service.SUSPENDED),
            ("reinstate", {}, service.VALID),
            ("revoke", {"reason_code": "fraud"}, service.INVALID),
        ]
        for action, body, expected in steps:
            changed = await http.post(
                f"/v1/credentials/{credential['id']}/{action}", json=body, headers=tenant.headers
            )
            assert changed.status_code == 200, changed.text
            assert _read_with_library(uri, entry.idx)["status"] == expected, action
