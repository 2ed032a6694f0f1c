"""Slots for issuance come from a per-process reserve, claimed in blocks outside the request."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.status_lists.reserve import BLOCK, reserve
from app.status_lists.service import StatusSlot
from tests.factories import Tenant

Sessions = async_sessionmaker[AsyncSession]


async def _reserve(sessions: Sessions, tenant: Tenant, count: int) -> list[StatusSlot]:
    async with sessions() as session, session.begin():
        return await reserve(session, uuid.UUID(tenant.id), count)


async def _claimed(sessions: Sessions, tenant: Tenant) -> int:
    async with sessions() as session:
        total = await session.execute(
            text("SELECT coalesce(sum(allocated), 0) FROM status_lists WHERE institution_id = :i"),
            {"i": uuid.UUID(tenant.id)},
        )
        return int(total.scalar_one())


async def test_one_slot_claims_a_block_and_the_next_ones_come_from_it(
    sessionmaker: Sessions, tenant: Tenant
) -> None:
    first = await _reserve(sessionmaker, tenant, 1)
    assert await _claimed(sessionmaker, tenant) == 1 + BLOCK
    rest = [slot for _ in range(BLOCK) for slot in await _reserve(sessionmaker, tenant, 1)]
    assert await _claimed(sessionmaker, tenant) == 1 + BLOCK
    assert len(set(first + rest)) == 1 + BLOCK
    await _reserve(sessionmaker, tenant, 1)
    assert await _claimed(sessionmaker, tenant) == 2 * (1 + BLOCK)


async def test_a_batch_claims_what_it_needs_and_a_block_more(
    sessionmaker: Sessions, tenant: Tenant
) -> None:
    slots = await _reserve(sessionmaker, tenant, 500)
    assert len(set(slots)) == 500
    assert await _claimed(sessionmaker, tenant) == 500 + BLOCK


async def test_a_rolled_back_issuance_never_gives_its_slots_to_another(
    sessionmaker: Sessions, tenant: Tenant
) -> None:
    async with sessionmaker() as session:
        await session.begin()
        lost = await reserve(session, uuid.UUID(tenant.id), 3)
        await session.rollback()
    later = [slot for _ in range(2 * BLOCK) for slot in await _reserve(sessionmaker, tenant, 1)]
    assert not set(lost) & set(later)


async def test_concurrent_reservations_never_share_a_slot(
    sessionmaker: Sessions, tenant: Tenant
) -> None:
    counts = [1] * 60 + [37, 200, 5, 90]
    results = await asyncio.gather(*(_reserve(sessionmaker, tenant, n) for n in counts))
    slots = [slot for result in results for slot in result]
    assert len(slots) == sum(counts)
    assert not [slot for slot, times in Counter(slots).items() if times > 1]
