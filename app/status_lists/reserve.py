"""Status slots for issuance, claimed ahead in short transactions of their own.

Claiming slots inside the issuing transaction would hold the institution's allocation lock until
that transaction commits, so that one institution's issuances queue behind each other's commits
(a WAL flush each). Instead each process claims a block of slots in a separate transaction that
commits at once, keeps them in memory, and hands them out. A slot handed out is never handed out
again, whether or not the credential that took it is committed: the specification asks that
indexes are not reused, not that there are no gaps. A process that stops loses its unused block
(at most ``BLOCK`` slots per institution), which leaves unused zero bits in a list.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import deque
from typing import Final

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from app.db.unavailable import reconnect_after_read_only
from app.status_lists.service import StatusSlot, allocate

BLOCK: Final = 64


class SlotReserve:
    def __init__(self, block: int = BLOCK) -> None:
        self._block = block
        self._free: dict[uuid.UUID, deque[StatusSlot]] = {}
        # Keyed by event loop too: an asyncio.Lock belongs to the loop it first waited in.
        self._locks: dict[tuple[int, uuid.UUID], asyncio.Lock] = {}

    def clear(self) -> None:
        """Forget every reserved slot (tests that empty the database between tests)."""
        self._free.clear()
        self._locks.clear()

    async def take(
        self, engine: AsyncEngine, institution_id: uuid.UUID, count: int
    ) -> list[StatusSlot]:
        if count < 0:
            raise ValueError(f"cannot reserve {count} status slots")
        if count == 0:
            return []
        key = (id(asyncio.get_running_loop()), institution_id)
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            free = self._free.setdefault(institution_id, deque())
            if len(free) < count:
                free.extend(await self._claim(engine, institution_id, count - len(free)))
            return [free.popleft() for _ in range(count)]

    async def _claim(
        self, engine: AsyncEngine, institution_id: uuid.UUID, missing: int
    ) -> list[StatusSlot]:
        # A batch claims what it needs and a block more; single issuance a block at a time.
        async with AsyncSession(_claiming_engine(engine)) as session, session.begin():
            return await allocate(session, institution_id, missing + self._block)


# By event loop as well: a pooled connection belongs to the loop that opened it.
_claiming_engines: dict[tuple[int, str], AsyncEngine] = {}


def _claiming_engine(engine: AsyncEngine) -> AsyncEngine:
    """A small pool of its own, outside the request pool: a request that holds a pooled
    connection while it waits for a claim must not wait for the pool too (at full load that
    would never end). Its connections are kept: opening one per claim cost several
    milliseconds, and every request queued behind the claim waited them out."""
    key = (id(asyncio.get_running_loop()), engine.url.render_as_string(hide_password=False))
    if key not in _claiming_engines:
        claiming = create_async_engine(
            engine.url, pool_size=1, max_overflow=3, hide_parameters=True
        )
        reconnect_after_read_only(claiming)
        _claiming_engines[key] = claiming
    return _claiming_engines[key]


_RESERVE = SlotReserve()


async def reserve(session: AsyncSession, institution_id: uuid.UUID, count: int) -> list[StatusSlot]:
    """``count`` never-used slots for credentials this session is about to insert."""
    bind = session.bind
    if not isinstance(bind, AsyncEngine):  # a session on one connection: claim in its transaction
        return await allocate(session, institution_id, count)
    return await _RESERVE.take(bind, institution_id, count)


def forget_reserved_slots() -> None:
    _RESERVE.clear()


async def close_claiming_connections() -> None:
    """Close the claims' own connections of this event loop (at shutdown, with the engine)."""
    loop = id(asyncio.get_running_loop())
    for key in [key for key in _claiming_engines if key[0] == loop]:
        await _claiming_engines.pop(key).dispose()
