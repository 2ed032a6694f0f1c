"""Holding the transactions in flight, so that the requests sent meanwhile queue for the next.

As many first requests as transactions may be in flight are each held inside their
transaction by a lock taken from another connection; the requests sent meanwhile queue, and
are seen to share one transaction by the ``xmin`` (inserting transaction) of the rows they
wrote.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import httpx
from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.group_commit.coalescing import GroupCommit


@asynccontextmanager
async def first_requests_held(
    coalescer: GroupCommit[Any, Any],
    sessionmaker: async_sessionmaker[AsyncSession],
    lock: TextClause,
    first: Callable[[], Awaitable[httpx.Response]],
) -> AsyncIterator[None]:
    """``first`` sent once per transaction the coalescer may have in flight, each waiting
    inside its transaction on ``lock`` until the block ends."""
    async with sessionmaker() as locker, locker.begin():
        await locker.execute(lock)
        held = []
        for waits in range(1, coalescer.in_flight + 1):
            held.append(asyncio.ensure_future(first()))
            await _until(partial(_lock_waits, sessionmaker, waits))
        yield
    assert [(await request).status_code for request in held] == [201] * len(held)


async def queued_behind(
    coalescer: GroupCommit[Any, Any], requests: Sequence[Awaitable[httpx.Response]]
) -> list[asyncio.Future[httpx.Response]]:
    """Send the requests and return once all of them wait for the next transaction."""
    tasks: list[asyncio.Future[httpx.Response]] = [asyncio.ensure_future(r) for r in requests]
    await _until(lambda: _now(coalescer.queued() == len(tasks)))
    return tasks


async def transactions_by_size(sessionmaker: async_sessionmaker[AsyncSession]) -> list[int]:
    """How many credentials each transaction that wrote some wrote, smallest first."""
    async with sessionmaker() as session:
        rows = await session.execute(
            text("SELECT count(*) FROM credentials GROUP BY xmin::text ORDER BY 1")
        )
        return [int(count) for (count,) in rows]


async def issuances_by_transaction_time(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> list[int]:
    """How many ``credential.issued`` audit entries share each transaction's start time
    (``now()``), smallest first: rows written in savepoints each have an ``xmin`` of their own.
    """
    async with sessionmaker() as session:
        rows = await session.execute(
            text(
                "SELECT count(*) FROM audit_events WHERE action = 'credential.issued' "
                "GROUP BY occurred_at ORDER BY 1"
            )
        )
        return [int(count) for (count,) in rows]


async def _lock_waits(sessionmaker: async_sessionmaker[AsyncSession], count: int) -> bool:
    async with sessionmaker() as session:
        waiting = await session.execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted"))
        return int(waiting.scalar_one()) >= count


async def _now(value: bool) -> bool:
    return value


async def _until(condition: Callable[[], Awaitable[bool]]) -> None:
    for _ in range(500):
        if await condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the condition never held")
