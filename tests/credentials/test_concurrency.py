"""Concurrent issuance over real connections: nothing duplicated, nothing lost."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.credentials.models import Credential
from tests.credentials.helpers import issue_payload, published_achievement
from tests.factories import Tenant


async def test_concurrent_issuance_never_reuses_a_status_index(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    achievement = await published_achievement(client, tenant)

    async def one(i: int) -> httpx.Response:
        payload = issue_payload(achievement["id"], learner={"name": "L", "student_number": f"s{i}"})
        return await client.post("/v1/credentials", json=payload, headers=tenant.headers)

    responses = await asyncio.gather(*(one(i) for i in range(40)))
    assert {r.status_code for r in responses} == {201}
    async with sessionmaker() as session:
        rows = (
            await session.execute(select(Credential.status_list_id, Credential.status_index))
        ).all()
    assert len(rows) == 40
    assert len(set(rows)) == 40


async def test_concurrent_requests_with_one_idempotency_key_issue_once(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    achievement = await published_achievement(client, tenant)
    headers = {**tenant.headers, "Idempotency-Key": "retry-storm"}
    payload = issue_payload(achievement["id"])
    responses = await asyncio.gather(
        *(client.post("/v1/credentials", json=payload, headers=headers) for _ in range(12))
    )
    assert sorted(r.status_code for r in responses) == [200] * 11 + [201]
    assert len({r.json()["id"] for r in responses}) == 1
    async with sessionmaker() as session:
        count = (await session.execute(select(func.count()).select_from(Credential))).scalar_one()
    assert count == 1


async def test_concurrent_batches_share_lists_without_collisions(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    achievement = await published_achievement(client, tenant)

    async def batch(offset: int) -> httpx.Response:
        items = [
            issue_payload(
                achievement["id"], learner={"name": "L", "student_number": f"s{offset + i}"}
            )
            for i in range(100)
        ]
        return await client.post(
            "/v1/credentials/batch", json={"items": items}, headers=tenant.headers
        )

    responses = await asyncio.gather(*(batch(n * 100) for n in range(5)))
    assert all(r.json()["issued"] == 100 for r in responses)
    async with sessionmaker() as session:
        distinct = (
            await session.execute(select(func.count(func.distinct(Credential.status_index))))
        ).scalar_one()
    assert distinct == 500
