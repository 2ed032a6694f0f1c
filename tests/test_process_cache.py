"""The per-process cache of API keys, institutions, signers and DID documents."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import process_cache
from app.config import get_settings
from app.db import session as session_module
from app.db.session import in_own_session
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


class _Loads:
    """A load that waits until released and counts how often it ran."""

    def __init__(self, value: int) -> None:
        self.value = value
        self.count = 0
        self.release = asyncio.Event()

    async def __call__(self) -> int:
        self.count += 1
        await self.release.wait()
        return self.value


async def test_concurrent_callers_of_an_entry_not_kept_load_it_once(clock: Clock) -> None:
    cache: ProcessCache[str, int] = ProcessCache()
    load = _Loads(7)
    callers = [asyncio.create_task(cache.served("a", load)) for _ in range(5)]
    await asyncio.sleep(0)
    load.release.set()
    assert await asyncio.gather(*callers) == [7] * 5
    assert load.count == 1
    assert cache.get("a") == 7


async def test_an_entry_in_the_last_of_its_time_is_renewed_by_one_caller_while_others_get_it(
    clock: Clock,
) -> None:
    cache: ProcessCache[str, int] = ProcessCache(seconds=lambda: 4, renew_ahead=0.25)
    cache.put("a", 1)
    clock.now += 2.9  # not yet in the last quarter
    first = _Loads(2)
    assert await cache.served("a", first) == 1
    assert first.count == 0
    clock.now += 0.2  # in the last quarter, not yet run out
    renewing = asyncio.create_task(cache.served("a", first))
    await asyncio.sleep(0)
    assert first.count == 1
    other = _Loads(3)
    assert await cache.served("a", other) == 1  # at once, from memory, while the load runs
    assert other.count == 0
    first.release.set()
    assert await renewing == 2
    clock.now += 3.9  # kept for its full time from the renewal
    assert cache.get("a") == 2


async def test_without_serve_stale_a_caller_waits_for_the_load_of_an_entry_that_ran_out(
    clock: Clock,
) -> None:
    cache: ProcessCache[str, int] = ProcessCache(seconds=lambda: 4, serve_stale=False)
    cache.put("a", 1)
    clock.now += 5
    load = _Loads(2)
    loading = asyncio.create_task(cache.served("a", load))
    await asyncio.sleep(0)
    waiting = asyncio.create_task(cache.served("a", _Loads(3)))
    await asyncio.sleep(0)
    assert not waiting.done()
    load.release.set()
    assert (await loading, await waiting) == (2, 2)


async def test_with_serve_stale_callers_get_the_entry_that_ran_out_while_it_loads(
    clock: Clock,
) -> None:
    cache: ProcessCache[str, int] = ProcessCache(seconds=lambda: 4)
    cache.put("a", 1)
    clock.now += 5
    load = _Loads(2)
    loading = asyncio.create_task(cache.served("a", load))
    await asyncio.sleep(0)
    assert await cache.served("a", _Loads(3)) == 1
    load.release.set()
    assert await loading == 2


async def test_a_caller_waiting_on_a_load_that_fails_loads_for_itself(clock: Clock) -> None:
    cache: ProcessCache[str, int] = ProcessCache()

    async def failing() -> int:
        await asyncio.sleep(0)
        raise RuntimeError("database gone")

    ready = _Loads(4)
    ready.release.set()
    loading = asyncio.create_task(cache.served("a", failing))
    await asyncio.sleep(0)
    waiting = asyncio.create_task(cache.served("a", ready))
    with pytest.raises(RuntimeError):
        await loading
    assert await waiting == 4


async def test_with_the_cache_off_every_caller_loads_for_itself(clock: Clock) -> None:
    cache: ProcessCache[str, int] = ProcessCache(seconds=lambda: 0)
    load = _Loads(1)
    callers = [asyncio.create_task(cache.served("a", load)) for _ in range(3)]
    await asyncio.sleep(0)
    load.release.set()
    assert await asyncio.gather(*callers) == [1, 1, 1]
    assert load.count == 3


async def test_with_renew_the_caller_gets_the_entry_at_once_while_it_is_renewed_behind(
    clock: Clock,
) -> None:
    cache: ProcessCache[str, int] = ProcessCache(seconds=lambda: 4, renew_ahead=0.25)
    cache.put("a", 1)
    clock.now += 3.1  # in the last quarter, not yet run out
    renew = _Loads(2)
    assert await cache.served("a", _Loads(9), renew=renew) == 1  # not waiting for the renewal
    await asyncio.sleep(0)
    assert renew.count == 1
    assert await cache.served("a", _Loads(9), renew=_Loads(9)) == 1  # one renewal at a time
    renew.release.set()
    await cache.renewals_ended()
    assert cache.get("a") == 2
    clock.now += 3.9  # kept for its full time from the renewal
    assert cache.get("a") == 2


async def test_with_renew_an_entry_that_ran_out_is_loaded_by_its_caller(clock: Clock) -> None:
    cache: ProcessCache[str, int] = ProcessCache(seconds=lambda: 4, renew_ahead=0.25)
    cache.put("a", 1)
    clock.now += 4.1
    load, renew = _Loads(2), _Loads(3)
    load.release.set()
    assert await cache.served("a", load, renew=renew) == 2
    assert (load.count, renew.count) == (1, 0)


async def test_a_failed_renewal_leaves_the_entry_to_run_out_and_logs_only_the_error_type(
    clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    cache: ProcessCache[str, int] = ProcessCache(seconds=lambda: 4, renew_ahead=0.25)
    cache.put("a", 1)
    clock.now += 3.1

    async def failing() -> int:
        raise RuntimeError("row of student 12345 is locked")

    assert await cache.served("a", _Loads(9), renew=failing) == 1
    await asyncio.sleep(0)
    assert cache.get("a") == 1
    assert "RuntimeError" in caplog.text
    assert "12345" not in caplog.text
    clock.now += 1
    load = _Loads(5)
    load.release.set()
    assert await cache.served("a", load, renew=failing) == 5  # ran out: its caller loads it


async def test_a_renewal_that_finds_its_entry_gone_drops_it_at_once_without_a_warning(
    clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    cache: ProcessCache[str, int] = ProcessCache(
        seconds=lambda: 4, renew_ahead=0.25, gone=(LookupError,)
    )
    cache.put("a", 1)
    clock.now += 3.1

    async def gone() -> int:
        raise KeyError("a")

    assert await cache.served("a", _Loads(9), renew=gone) == 1
    await cache.renewals_ended()
    assert cache.get("a") is None  # not kept until it runs out
    assert caplog.records == []


async def test_a_renewal_under_way_when_the_cache_is_cleared_keeps_nothing(clock: Clock) -> None:
    cache: ProcessCache[str, int] = ProcessCache(seconds=lambda: 4, renew_ahead=0.25)
    cache.put("a", 1)
    clock.now += 3.1
    renew = _Loads(2)
    assert await cache.served("a", _Loads(9), renew=renew) == 1
    await asyncio.sleep(0)
    cache.clear()  # the tables it read may have been emptied since
    renew.release.set()
    await cache.finish_renewals()
    assert cache.get("a") is None


async def test_a_renewal_under_way_when_its_entry_is_forgotten_keeps_nothing(
    clock: Clock,
) -> None:
    cache: ProcessCache[str, int] = ProcessCache(seconds=lambda: 4, renew_ahead=0.25)
    cache.put("a", 1)
    cache.put("b", 1)
    clock.now += 3.1
    renew_a, renew_b = _Loads(2), _Loads(2)
    assert await cache.served("a", _Loads(9), renew=renew_a) == 1
    assert await cache.served("b", _Loads(9), renew=renew_b) == 1
    await asyncio.sleep(0)
    cache.forget("a")  # changed through this process; the renewal may have read it before
    renew_a.release.set()
    renew_b.release.set()
    await cache.renewals_ended()
    assert cache.get("a") is None
    assert cache.get("b") == 2  # the other key's renewal is untouched


async def test_while_the_app_runs_a_renewal_reads_in_a_session_of_its_own(app: FastAPI) -> None:
    async def transactions(session: AsyncSession) -> set[int]:
        statement = text("SELECT pg_current_xact_id()::text::bigint")
        return {(await session.execute(statement)).scalar_one() for _ in range(2)}

    renew = in_own_session(transactions)
    assert renew is not None
    assert len(await renew()) == 2  # each statement committed on its own: no lock kept


async def test_outside_the_app_there_is_no_session_for_renewals(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(session_module, "_own_sessions", None)

    async def read(session: AsyncSession) -> int:
        raise AssertionError("never run")

    assert in_own_session(read) is None
