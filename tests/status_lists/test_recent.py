"""Status lists served from process memory: one reload at a time when an entry runs out."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from app import process_cache
from app.status_lists import recent
from app.status_lists.service import Publication

OLD = Publication("old.jwt", '"old"', 300)
NEW = Publication("new.jwt", '"new"', 300)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    now = [1000.0]
    monkeypatch.setattr(process_cache, "_clock", lambda: now[0])
    return now


class SlowLoad:
    """A database read that finishes when the test says so, counting its calls."""

    def __init__(self) -> None:
        self.calls = 0
        self.release = asyncio.Event()

    async def __call__(self) -> Publication:
        self.calls += 1
        await self.release.wait()
        return NEW


async def test_concurrent_fetches_of_a_list_not_in_memory_load_it_once(clock: list[float]) -> None:
    load, list_id = SlowLoad(), uuid.uuid4()
    fetches = [asyncio.create_task(recent.served(list_id, "revocation", load)) for _ in range(8)]
    await asyncio.sleep(0)
    load.release.set()
    assert await asyncio.gather(*fetches) == [NEW] * 8
    assert load.calls == 1


async def test_while_one_fetch_reloads_a_list_that_ran_out_the_others_get_the_old_one(
    clock: list[float],
) -> None:
    load, list_id = SlowLoad(), uuid.uuid4()
    recent.remember(list_id, "revocation", OLD)
    clock[0] += 3600
    reloading = asyncio.create_task(recent.served(list_id, "revocation", load))
    await asyncio.sleep(0)
    assert await recent.served(list_id, "revocation", load) == OLD
    load.release.set()
    assert await reloading == NEW
    assert await recent.served(list_id, "revocation", load) == NEW
    assert load.calls == 1


async def test_a_list_changed_through_this_process_is_never_served_old(clock: list[float]) -> None:
    load, list_id = SlowLoad(), uuid.uuid4()
    recent.remember(list_id, "revocation", OLD)
    recent.forget(list_id)
    load.release.set()
    assert await recent.served(list_id, "revocation", load) == NEW
