"""Slots for issuance come from a per-process reserve, claimed in blocks outside the request."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.status_lists.reserve import BLOCK, SlotReserve, reserve
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


class _Clock:
    """Time that moves only when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _paced(most: int) -> tuple[_Clock, SlotReserve]:
    """A reserve of blocks of 4 up to ``most`` slots, paced at 10 s by a clock of its own."""
    clock = _Clock()
    return clock, SlotReserve(block=4, most=most, pace_seconds=10.0, clock=clock)


def _engine(sessions: Sessions) -> AsyncEngine:
    engine = sessions.kw["bind"]
    assert isinstance(engine, AsyncEngine)
    return engine


async def _claim_sizes(
    sessions: Sessions, tenant: Tenant, slots: SlotReserve, clock: _Clock, steps: list[float]
) -> list[int]:
    """Take one slot at a time, the clock moved by each step before each take; the size of
    every claim the takes made."""
    sizes: list[int] = []
    for step in steps:
        clock.now += step
        before = await _claimed(sessions, tenant)
        await slots.take(_engine(sessions), uuid.UUID(tenant.id), 1)
        if (claimed := await _claimed(sessions, tenant) - before) > 0:
            sizes.append(claimed)
    return sizes


async def test_one_slot_claims_a_block_and_the_next_ones_come_from_it(
    sessionmaker: Sessions, tenant: Tenant
) -> None:
    first = await _reserve(sessionmaker, tenant, 1)
    assert await _claimed(sessionmaker, tenant) == 1 + BLOCK
    rest = [slot for _ in range(BLOCK) for slot in await _reserve(sessionmaker, tenant, 1)]
    assert await _claimed(sessionmaker, tenant) == 1 + BLOCK
    assert len(set(first + rest)) == 1 + BLOCK


async def test_claims_in_quick_succession_double_the_block_up_to_the_most(
    sessionmaker: Sessions, tenant: Tenant
) -> None:
    clock, slots = _paced(most=16)
    sizes = await _claim_sizes(sessionmaker, tenant, slots, clock, [0.1] * 60)
    # Each claim is the one slot missing and a block: 4, 8, 16, then 16 again.
    assert sizes == [5, 9, 17, 17, 17]


async def test_a_claim_after_a_pause_starts_again_at_the_first_block(
    sessionmaker: Sessions, tenant: Tenant
) -> None:
    clock, slots = _paced(most=64)
    quick = await _claim_sizes(sessionmaker, tenant, slots, clock, [1.0] * 13)
    assert quick == [5, 9]  # 13 takes: the first claim's 5 slots and 8 of the second's 9
    after_pause = await _claim_sizes(sessionmaker, tenant, slots, clock, [1.0] + [10.0] * 6)
    assert after_pause == [5, 5]  # the second's last slot, then one claim per block


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
