"""``recognises``: the question every other part asks of the recognition list."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.keys.did import institution_did
from app.recognition.service import recognises
from tests.factories import Tenant

ISSUER = "did:web:elders.example:issuers:uni"
ACHIEVEMENT = "https://elders.example/achievements/data"


async def _recognise(client: httpx.AsyncClient, tenant: Tenant, **bounds: object) -> None:
    created = await client.post(
        "/v1/recognitions", json={"issuer_did": ISSUER, **bounds}, headers=tenant.headers
    )
    assert created.status_code == 201, created.text


async def _asks(
    sessionmaker: async_sessionmaker[AsyncSession],
    tenant: Tenant,
    issuer: str = ISSUER,
    achievement: str = ACHIEVEMENT,
    *,
    ects: float | None = 5,
    eqf_level: int | None = 6,
) -> bool:
    async with sessionmaker() as session:
        return await recognises(
            session, uuid.UUID(tenant.id), issuer, achievement, ects=ects, eqf_level=eqf_level
        )


async def test_an_institution_recognises_itself_and_no_one_unlisted(
    tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    assert await _asks(sessionmaker, tenant, institution_did(tenant.slug))
    assert not await _asks(sessionmaker, tenant)


async def test_an_unrestricted_recognition_covers_everything_of_the_issuer(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await _recognise(client, tenant)
    assert await _asks(sessionmaker, tenant, ects=None, eqf_level=None)
    assert not await _asks(sessionmaker, tenant, "did:web:other.example")


async def test_restrictions_narrow_what_is_recognised(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await _recognise(
        client, tenant, achievement_ids=[ACHIEVEMENT], eqf_min=6, ects_min=3, ects_max=10
    )
    assert await _asks(sessionmaker, tenant)
    assert not await _asks(sessionmaker, tenant, achievement="https://elders.example/other")
    assert not await _asks(sessionmaker, tenant, eqf_level=5)
    assert not await _asks(sessionmaker, tenant, eqf_level=None)
    assert not await _asks(sessionmaker, tenant, ects=12)
    assert not await _asks(sessionmaker, tenant, ects=None)
