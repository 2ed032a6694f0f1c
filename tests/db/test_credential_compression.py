"""A credential's document and JWT are stored lz4-compressed where the server has lz4."""

from __future__ import annotations

import httpx
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.credentials.helpers import issue_payload, published_achievement
from tests.factories import Tenant


async def _server_has_lz4(sessionmaker: async_sessionmaker[AsyncSession]) -> bool:
    async with sessionmaker() as session, session.begin():
        try:
            await session.execute(text("CREATE TEMP TABLE lz4_probe (v text COMPRESSION lz4)"))
        except DBAPIError as error:
            if "lz4" not in str(error.orig):  # refused for another reason than a missing lz4
                raise
            return False
        await session.rollback()
        return True


async def test_new_credentials_are_compressed_with_lz4_when_the_server_has_it(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    achievement = await published_achievement(client, tenant)
    # A credential row (~12 KB) is far over the ~2 KB above which Postgres compresses.
    issued = await client.post(
        "/v1/credentials", json=issue_payload(achievement["id"]), headers=tenant.headers
    )
    assert issued.status_code == 201, issued.text
    expected = "lz4" if await _server_has_lz4(sessionmaker) else "pglz"
    async with sessionmaker() as session:
        methods = (
            await session.execute(
                text(
                    "SELECT pg_column_compression(document), pg_column_compression(jwt) "
                    "FROM credentials WHERE id = CAST(:id AS uuid)"
                ),
                {"id": issued.json()["id"]},
            )
        ).one()
    assert tuple(methods) == (expected, expected)
