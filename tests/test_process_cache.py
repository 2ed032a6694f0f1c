"""The per-process cache of API keys, institutions, signers and DID documents."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import process_cache
from app.config import get_settings
from app.process_cache import ProcessCache
from tests.credentials.helpers import issue, published_achievement
from tests.factories import Tenant


def _header(jwt: str) -> dict[str, Any]:
    segment = jwt.split(".", maxsplit=1)[0]
    header: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    )
    return header


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(process_cache, "_clock", fake)
    return fake


def test_an_entry_expires_after_the_configured_seconds(clock: Clock) -> None:
    cache: ProcessCache[str, int] = ProcessCache()
    cache.put("a", 1)
    clock.now += 4.9
    assert cache.get("a") == 1
    clock.now += 0.2
    assert cache.get("a") is None


def test_the_least_recently_stored_entry_goes_first_when_full() -> None:
    cache: ProcessCache[int, int] = ProcessCache(max_entries=2)
    for key in (1, 2, 3):
        cache.put(key, key)
    assert [cache.get(key) for key in (1, 2, 3)] == [None, 2, 3]


def test_the_least_recently_read_entry_goes_first_when_full() -> None:
    cache: ProcessCache[int, int] = ProcessCache(max_entries=2)
    cache.put(1, 1)
    cache.put(2, 2)
    assert cache.get(1) == 1  # read: now the most recent
    cache.put(3, 3)
    assert [cache.get(key) for key in (1, 2, 3)] == [1, None, 3]


def test_entries_are_evicted_to_stay_under_the_weight_and_the_too_heavy_not_kept() -> None:
    cache: ProcessCache[str, bytes] = ProcessCache(max_weight=10, weigh=len)
    cache.put("a", b"aaaa")
    cache.put("b", b"bbbb")
    cache.put("c", b"cccc")  # 12 bytes in all: the oldest goes
    assert [cache.get(key) for key in "abc"] == [None, b"bbbb", b"cccc"]
    cache.put("b", b"bb")  # replacing an entry replaces its weight too
    cache.put("d", b"dddd")
    assert len(cache) == 3
    cache.put("huge", b"h" * 11)
    assert cache.get("huge") is None
    assert len(cache) == 3


def test_zero_seconds_turns_the_cache_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "process_cache_seconds", 0)
    cache: ProcessCache[str, int] = ProcessCache()
    cache.put("a", 1)
    assert cache.get("a") is None


async def test_a_key_revoked_through_this_process_is_refused_at_once(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    assert (await client.get("/v1/api-clients", headers=tenant.headers)).status_code == 200
    own = (await client.get("/v1/api-clients", headers=tenant.headers)).json()
    revoked = await client.delete(f"/v1/api-clients/{own[0]['id']}", headers=tenant.headers)
    assert revoked.status_code == 200
    assert (await client.get("/v1/api-clients", headers=tenant.headers)).status_code == 401


async def test_a_key_revoked_elsewhere_is_refused_once_the_entry_expires(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: Clock,
) -> None:
    assert (await client.get("/v1/api-clients", headers=tenant.headers)).status_code == 200
    async with sessionmaker() as session, session.begin():  # as another replica would
        await session.execute(text("UPDATE api_clients SET revoked_at = now()"))
    assert (await client.get("/v1/api-clients", headers=tenant.headers)).status_code == 200
    clock.now += get_settings().process_cache_seconds
    assert (await client.get("/v1/api-clients", headers=tenant.headers)).status_code == 401


async def test_a_rotated_key_signs_the_next_credential_of_this_process(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    achievement = await published_achievement(client, tenant)
    before = await issue(client, tenant, achievement["id"])
    rotated = await client.post(
        "/v1/keys/rotate", json={"algorithm": "ES256"}, headers=tenant.headers
    )
    assert rotated.status_code == 201, rotated.text
    after = await issue(client, tenant, achievement["id"])
    kid = rotated.json()["kid"]
    assert not _header(before["jwt"])["kid"].endswith(f"#{kid}")
    assert _header(after["jwt"])["kid"].endswith(f"#{kid}")


async def test_an_institution_edited_through_this_process_is_issued_as_edited_at_once(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    achievement = await published_achievement(client, tenant)
    await issue(client, tenant, achievement["id"])
    edited = await client.patch(
        f"/v1/institutions/{tenant.id}",
        json={"display_name": "Nieuwe Naam"},
        headers=tenant.headers,
    )
    assert edited.status_code == 200, edited.text
    credential = await issue(client, tenant, achievement["id"])
    assert credential["credential"]["issuer"]["name"] == "Nieuwe Naam"
