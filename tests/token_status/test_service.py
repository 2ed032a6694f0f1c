"""Token Status List entries: one per credential, unpredictable, never reused, lists filled up."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import get_settings
from app.errors import NotFound
from app.token_status import service
from app.token_status.models import TokenStatusList
from tests.credentials.helpers import issue, published_achievement
from tests.factories import Tenant

BASE = "https://stapel.test"


async def _credentials(client: httpx.AsyncClient, tenant: Tenant, count: int) -> list[uuid.UUID]:
    achievement = (await published_achievement(client, tenant))["id"]
    return [uuid.UUID((await issue(client, tenant, achievement))["id"]) for _ in range(count)]


async def test_a_credential_always_gets_its_one_entry_back(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    [credential] = await _credentials(client, tenant, 1)
    institution = uuid.UUID(tenant.id)
    async with sessionmaker() as session, session.begin():
        first = await service.allocate_entry(session, institution, credential)
    async with sessionmaker() as session, session.begin():
        again = await service.allocate_entry(session, institution, credential)
        and_again = await service.allocate_entry(session, institution, credential)
    assert first == again == and_again
    assert first.uri.startswith(f"{BASE}/status-lists/token/")
    assert first.claim() == {"status_list": {"idx": first.idx, "uri": first.uri}}


async def test_entries_are_scattered_never_repeat_and_a_full_list_is_followed_by_a_new_one(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(get_settings(), "token_status_list_size", 16)
    credentials = await _credentials(client, tenant, 20)
    institution = uuid.UUID(tenant.id)
    async with sessionmaker() as session, session.begin():
        entries = [await service.allocate_entry(session, institution, c) for c in credentials]
    first_list = [e.idx for e in entries if e.uri == entries[0].uri]
    assert sorted(first_list) == list(range(16))  # every entry of the full list, once
    assert first_list != list(range(16))  # not handed out in order
    rest = [e for e in entries if e.uri != entries[0].uri]
    assert len(rest) == 4
    assert len({e.uri for e in rest}) == 1
    assert len({e.idx for e in rest}) == 4
    async with sessionmaker() as session:
        lists = (await session.execute(select(TokenStatusList))).scalars().all()
    assert sorted(row.allocated for row in lists) == [4, 16]
    assert all(len(row.statuses) == 4 for row in lists)  # 16 entries of 2 bits


async def test_set_status_changes_only_a_credential_with_an_entry(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    with_entry, without = await _credentials(client, tenant, 2)
    async with sessionmaker() as session, session.begin():
        entry = await service.allocate_entry(session, uuid.UUID(tenant.id), with_entry)
        assert await service.set_status(session, with_entry, service.SUSPENDED)
        assert not await service.set_status(session, without, service.INVALID)
    async with sessionmaker() as session:
        row = (await session.execute(select(TokenStatusList))).scalar_one()
    assert str(row.id) == entry.uri.rsplit("/", 1)[1]
    assert row.version == 2
    byte = row.statuses[entry.idx // 4]
    assert (byte >> (2 * (entry.idx % 4))) & 3 == service.SUSPENDED
    assert sum(row.statuses) == byte  # nothing else set


async def test_two_transactions_racing_for_one_credential_end_with_one_entry(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    [credential] = await _credentials(client, tenant, 1)

    async def allocate() -> service.TokenStatusEntry:
        async with sessionmaker() as session, session.begin():
            entry = await service.allocate_entry(session, uuid.UUID(tenant.id), credential)
            await asyncio.sleep(0.05)  # hold the transaction open while the other one waits
            return entry

    first, second = await asyncio.gather(allocate(), allocate())
    assert first == second
    async with sessionmaker() as session:
        assert (await session.execute(select(TokenStatusList.allocated))).scalar_one() == 1


async def test_another_institutions_credential_gets_no_entry(
    client: httpx.AsyncClient,
    tenant: Tenant,
    other_tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    [credential] = await _credentials(client, tenant, 1)
    async with sessionmaker() as session, session.begin():
        with pytest.raises(NotFound):
            await service.allocate_entry(session, uuid.UUID(other_tenant.id), credential)
        with pytest.raises(NotFound):
            await service.allocate_entry(session, uuid.UUID(tenant.id), uuid.uuid4())
    async with sessionmaker() as session:
        assert (await session.execute(select(TokenStatusList))).first() is None
