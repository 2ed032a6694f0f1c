"""Status slots for issuance, claimed ahead in short transactions of their own.

Claiming slots inside the issuing transaction would hold the institution's allocation lock until
that transaction commits, so that one institution's issuances queue behind each other's commits
(a WAL flush each). Instead each process claims a block of slots in a separate transaction that
commits at once, keeps them in memory, and hands them out. A slot handed out is never handed out
again, whether or not the credential that took it is committed: the specification asks that
indexes are not reused, not that there are no gaps. A process that stops loses its unused block,
which leaves unused zero bits in a list.

A block's size follows the institution's pace. The first is ``BLOCK`` slots; a claim that comes
within ``PACE_SECONDS`` of the one before doubles it, up to ``MOST_BLOCK``, and one that comes
later starts again at ``BLOCK``. An institution that issues a few credentials a day claims 64 at
a time, so a restart costs its list little; one issuing hundreds a second claims 1,024 at a
time. Claims are not free for the issuance that waits for one: a claim is five round trips, its
BEGIN and COMMIT among them, and each waits for the event loop, which is busy signing other
groups. At 64 clients a claim held up its group by ~10 ms, and with a block of 64 a third of all
groups waited for one (a group of 31 credentials took 27-36 ms instead of 23). What a process
can lose when it stops stays bounded: per institution, one block (at most ``MOST_BLOCK`` slots,
and about twice what the institution took in the ``PACE_SECONDS`` before the claim) and a
batch's extra block.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from app.db.unavailable import reconnect_after_read_only
from app.status_lists.service import StatusSlot, allocate

BLOCK: Final = 64
MOST_BLOCK: Final = 1024
PACE_SECONDS: Final = 10.0


@dataclass(frozen=True, slots=True)
class _LastClaim:
    block: int
    at: float


class SlotReserve:
    def __init__(
        self,
        block: int = BLOCK,
        most: int = MOST_BLOCK,
        pace_seconds: float = PACE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 1 <= block <= most:
            raise ValueError(f"blocks of {block} to {most} slots")
        self._block = block
        self._most = most
        self._pace_seconds = pace_seconds
        self._clock = clock
        self._free: dict[uuid.UUID, deque[StatusSlot]] = {}
        self._last_claims: dict[uuid.UUID, _LastClaim] = {}
        # Keyed by event loop too: an asyncio.Lock belongs to the loop it first waited in.
        self._locks: dict[tuple[int, uuid.UUID], asyncio.Lock] = {}

    def clear(self) -> None:
        """Forget every reserved slot (tests that empty the database between tests)."""
        self._free.clear()
        self._last_claims.clear()
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
        now = self._clock()
        block = self._next_block(institution_id, now)
        async with AsyncSession(_claiming_engine(engine)) as session, session.begin():
            slots = await allocate(session, institution_id, missing + block)
        self._last_claims[institution_id] = _LastClaim(block, now)
        return slots

    def _next_block(self, institution_id: uuid.UUID, now: float) -> int:
        """Twice the last block when that went within the pace; otherwise the first size."""
        last = self._last_claims.get(institution_id)
        if last is None or now - last.at >= self._pace_seconds:
            return self._block
        return min(2 * last.block, self._most)


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
