"""A request transaction begun only when the session is used."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.audit.models import AuditEvent
from app.db.session import session_if_used

Sessions = async_sessionmaker[AsyncSession]


def _entry() -> AuditEvent:
    return AuditEvent(actor="test", action="test.written", target_type="test", target_id="1")


async def _entries(sessionmaker: Sessions) -> int:
    async with sessionmaker() as session:
        return int((await session.execute(select(func.count(AuditEvent.id)))).scalar_one())


async def test_an_unused_session_takes_no_connection(
    sessionmaker: Sessions, pool_checkouts: list[float]
) -> None:
    async with session_if_used(sessionmaker) as session:
        assert not session.in_transaction()
    assert pool_checkouts == []


class _CountingSessionmaker(async_sessionmaker[AsyncSession]):
    made = 0

    def __call__(self, **local_kw: object) -> AsyncSession:
        self.made += 1
        return super().__call__(**local_kw)


async def test_a_session_nothing_asks_for_is_never_made(sessionmaker: Sessions) -> None:
    counting = _CountingSessionmaker(sessionmaker.kw["bind"])
    async with session_if_used(counting):
        pass
    assert counting.made == 0
    async with session_if_used(counting) as session:
        assert (await session.execute(text("SELECT 1"))).scalar_one() == 1
        assert (await session.execute(text("SELECT 2"))).scalar_one() == 2
    assert counting.made == 1


async def test_what_a_used_session_wrote_is_committed_at_the_end(
    sessionmaker: Sessions, pool_checkouts: list[float]
) -> None:
    async with session_if_used(sessionmaker) as session:
        session.add(_entry())
        await session.flush()
    assert len(pool_checkouts) == 1
    assert await _entries(sessionmaker) == 1


async def _write_then_fail(sessionmaker: Sessions) -> None:
    async with session_if_used(sessionmaker) as session:
        session.add(_entry())
        await session.flush()
        raise RuntimeError("the request failed after writing")


async def test_a_failure_rolls_back_what_the_session_wrote(sessionmaker: Sessions) -> None:
    with pytest.raises(RuntimeError):
        await _write_then_fail(sessionmaker)
    assert await _entries(sessionmaker) == 0
    async with session_if_used(sessionmaker) as session:  # the connection went back usable
        assert (await session.execute(text("SELECT 1"))).scalar_one() == 1
