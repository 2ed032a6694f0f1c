"""Handing out status-list slots: distinct, across list boundaries, under concurrency."""

from __future__ import annotations

import asyncio
import math
import uuid
from collections import Counter

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import get_settings
from app.status_lists.service import StatusSlot, allocate, offers_suspension, status_entries
from tests.factories import Tenant

Sessions = async_sessionmaker[AsyncSession]


async def _allocate(sessions: Sessions, tenant: Tenant, count: int) -> list[StatusSlot]:
    """One allocation in its own committed transaction, as a request would make it."""
    async with sessions() as session, session.begin():
        return await allocate(session, uuid.UUID(tenant.id), count)


async def _lists(sessions: Sessions, tenant: Tenant) -> list[tuple[uuid.UUID, int, int]]:
    """(id, allocated, size) of the tenant's lists, oldest first."""
    async with sessions() as session:
        rows = await session.execute(
            text(
                "SELECT id, allocated, size FROM status_lists WHERE institution_id = :id "
                "ORDER BY created_at, id"
            ),
            {"id": uuid.UUID(tenant.id)},
        )
        return [(row[0], row[1], row[2]) for row in rows]


@pytest.fixture
def small_lists(monkeypatch: pytest.MonkeyPatch) -> int:
    """Lists of 16 entries, so tests can fill them (Settings refuses this only from the env)."""
    monkeypatch.setattr(get_settings(), "status_list_size", 16)
    return 16


def _assert_distinct(slots: list[StatusSlot]) -> None:
    repeated = [slot for slot, times in Counter(slots).items() if times > 1]
    assert not repeated, repeated


async def test_successive_allocations_hand_out_distinct_indexes_from_one_list(
    sessionmaker: Sessions, tenant: Tenant
) -> None:
    slots = [slot for _ in range(5) for slot in await _allocate(sessionmaker, tenant, 100)]
    assert len(slots) == 500
    _assert_distinct(slots)
    ((list_id, allocated, size),) = await _lists(sessionmaker, tenant)
    assert allocated == 500
    assert size == get_settings().status_list_size == 131072
    assert {slot.status_list_id for slot in slots} == {list_id}
    assert all(0 <= slot.index < size for slot in slots)


async def test_indexes_are_not_handed_out_in_order(sessionmaker: Sessions, tenant: Tenant) -> None:
    indexes = [slot.index for slot in await _allocate(sessionmaker, tenant, 200)]
    assert indexes != sorted(indexes)
    assert indexes != list(range(200))


async def test_a_full_list_has_handed_out_each_of_its_indexes_once(
    sessionmaker: Sessions, tenant: Tenant, small_lists: int
) -> None:
    slots = await _allocate(sessionmaker, tenant, small_lists)
    assert sorted(slot.index for slot in slots) == list(range(small_lists))
    assert [(allocated, size) for _, allocated, size in await _lists(sessionmaker, tenant)] == [
        (16, 16)
    ]


async def test_a_batch_continues_in_a_new_list_when_the_open_one_fills(
    sessionmaker: Sessions, tenant: Tenant, small_lists: int
) -> None:
    first = await _allocate(sessionmaker, tenant, 10)
    second = await _allocate(sessionmaker, tenant, 10)
    (old, _, _), (new, _, _) = lists = await _lists(sessionmaker, tenant)
    assert [(allocated, size) for _, allocated, size in lists] == [(16, 16), (4, 16)]
    assert [slot.status_list_id for slot in second] == [old] * 6 + [new] * 4
    _assert_distinct(first + second)
    assert sorted(s.index for s in first + second if s.status_list_id == old) == list(range(16))


async def test_a_batch_larger_than_a_list_opens_as_many_lists_as_it_needs(
    sessionmaker: Sessions, tenant: Tenant, small_lists: int
) -> None:
    slots = await _allocate(sessionmaker, tenant, 50)
    assert len(slots) == 50
    _assert_distinct(slots)
    lists = await _lists(sessionmaker, tenant)
    assert [allocated for _, allocated, _ in lists] == [16, 16, 16, 2]
    assert Counter(slot.status_list_id for slot in slots) == {
        list_id: allocated for list_id, allocated, _ in lists
    }


async def test_allocations_of_one_institution_do_not_touch_anothers_lists(
    sessionmaker: Sessions, tenant: Tenant, other_tenant: Tenant
) -> None:
    ours = await _allocate(sessionmaker, tenant, 3)
    theirs = await _allocate(sessionmaker, other_tenant, 3)
    assert {s.status_list_id for s in ours}.isdisjoint({s.status_list_id for s in theirs})


@pytest.mark.parametrize("list_size", [131072, 64], ids=["one list", "many lists"])
async def test_concurrent_allocations_never_share_an_index_nor_open_needless_lists(
    sessionmaker: Sessions, tenant: Tenant, monkeypatch: pytest.MonkeyPatch, list_size: int
) -> None:
    monkeypatch.setattr(get_settings(), "status_list_size", list_size)
    tasks, per_task = 20, 50
    results = await asyncio.gather(
        *(_allocate(sessionmaker, tenant, per_task) for _ in range(tasks))
    )
    slots = [slot for result in results for slot in result]
    assert all(len(result) == per_task for result in results)
    _assert_distinct(slots)
    lists = await _lists(sessionmaker, tenant)
    assert sum(allocated for _, allocated, _ in lists) == tasks * per_task
    assert len(lists) == math.ceil(tasks * per_task / list_size)


async def test_a_rolled_back_allocation_gives_its_slots_back(
    sessionmaker: Sessions, tenant: Tenant
) -> None:
    await _allocate(sessionmaker, tenant, 1)
    async with sessionmaker() as session, session.begin():
        abandoned = await allocate(session, uuid.UUID(tenant.id), 5)
        await session.rollback()
    kept = await _allocate(sessionmaker, tenant, 5)
    assert kept == abandoned  # never used by a committed credential, so safe to hand out again
    assert [allocated for _, allocated, _ in await _lists(sessionmaker, tenant)] == [6]


async def test_allocating_nothing_creates_no_list(sessionmaker: Sessions, tenant: Tenant) -> None:
    assert await _allocate(sessionmaker, tenant, 0) == []
    assert await _lists(sessionmaker, tenant) == []


async def test_allocating_a_negative_count_is_a_programming_error(
    sessionmaker: Sessions, tenant: Tenant
) -> None:
    with pytest.raises(ValueError, match="-1"):
        await _allocate(sessionmaker, tenant, -1)


def test_without_suspension_a_credential_has_only_its_revocation_entry() -> None:
    list_id = uuid.UUID("7f1b0c8e-3d6f-4a55-9d0e-2b1f6c9a0e11")
    slot = StatusSlot(list_id, 4242)
    (entry,) = status_entries(slot, suspension=False)
    assert entry["statusPurpose"] == "revocation"
    assert not offers_suspension({"credentialStatus": entry}, slot)


def test_a_suspension_entry_of_another_list_does_not_make_a_credential_suspendable() -> None:
    slot = StatusSlot(uuid.UUID("7f1b0c8e-3d6f-4a55-9d0e-2b1f6c9a0e11"), 4242)
    elsewhere = status_entries(StatusSlot(uuid.uuid4(), 4242), suspension=True)
    assert not offers_suspension({"credentialStatus": elsewhere}, slot)
    assert offers_suspension({"credentialStatus": status_entries(slot, suspension=True)}, slot)


def test_with_suspension_a_credential_has_both_entries_at_the_same_index() -> None:
    list_id = uuid.UUID("7f1b0c8e-3d6f-4a55-9d0e-2b1f6c9a0e11")
    url = f"https://stapel.test/status-lists/{list_id}"
    assert status_entries(StatusSlot(list_id, 4242), suspension=True) == [
        {
            "id": f"{url}/revocation#4242",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": "4242",
            "statusListCredential": f"{url}/revocation",
        },
        {
            "id": f"{url}/suspension#4242",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "suspension",
            "statusListIndex": "4242",
            "statusListCredential": f"{url}/suspension",
        },
    ]
