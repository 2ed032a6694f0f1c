"""The queue itself: how requests are grouped, bounded, left out and answered."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.auth.principal import Principal
from app.group_commit.coalescing import GroupCommit, Queued

CLIENT = Principal(client_id=uuid.uuid4(), institution_id=uuid.uuid4(), scopes=frozenset())
OTHER_CLIENT = Principal(client_id=uuid.uuid4(), institution_id=uuid.uuid4(), scopes=frozenset())
SAME_INSTITUTION_CLIENT = Principal(
    client_id=uuid.uuid4(), institution_id=CLIENT.institution_id, scopes=frozenset()
)


class Recorder:
    """Issues a group by asking Postgres for its transaction id; the first group waits for
    ``release``, so that what is submitted meanwhile queues."""

    def __init__(self) -> None:
        self.groups: list[list[str]] = []
        self.queued: list[Sequence[Queued[str]]] = []
        self.release = asyncio.Event()

    async def __call__(
        self, session: AsyncSession, group: Sequence[Queued[str]]
    ) -> list[str | Exception]:
        self.groups.append([queued.item for queued in group])
        self.queued.append(group)
        if len(self.groups) == 1:
            await self.release.wait()
        xid = (await session.execute(text("SELECT txid_current()"))).scalar_one()
        return [
            ValueError(queued.item) if queued.item.startswith("bad") else f"{queued.item}@{xid}"
            for queued in group
        ]


async def _in_flight(recorder: Recorder) -> None:
    for _ in range(200):
        if recorder.groups:
            return
        await asyncio.sleep(0.005)
    raise AssertionError("the first group never began")


async def _queued(coalescer: GroupCommit[str, str], count: int) -> None:
    for _ in range(200):
        if coalescer.queued() == count:
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"{coalescer.queued()} queued, not {count}")


async def _first_in_flight(
    sessionmaker: async_sessionmaker[AsyncSession], max_group: int = 10
) -> tuple[Recorder, GroupCommit[str, str], asyncio.Future[str]]:
    """A coalescer with one transaction in flight, holding a first request until released."""
    recorder = Recorder()
    coalescer: GroupCommit[str, str] = GroupCommit(sessionmaker, max_group, recorder, in_flight=1)
    first = asyncio.ensure_future(coalescer.submit(CLIENT, "first", None))
    await _in_flight(recorder)
    return recorder, coalescer, first


async def test_groups_are_bounded_and_keep_the_order_of_arrival(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    recorder, coalescer, first = await _first_in_flight(sessionmaker, max_group=3)
    later = [asyncio.ensure_future(coalescer.submit(CLIENT, f"r{i}", None)) for i in range(7)]
    await _queued(coalescer, 7)
    recorder.release.set()
    answers = await asyncio.gather(first, *later)
    assert recorder.groups == [["first"], ["r0", "r1", "r2"], ["r3", "r4", "r5"], ["r6"]]
    transactions = [answer.split("@")[1] for answer in answers]
    assert len(set(transactions[1:4])) == 1
    assert len(set(transactions)) == 4


async def test_an_idle_queue_dispatches_at_once(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    recorder = Recorder()
    recorder.release.set()
    coalescer: GroupCommit[str, str] = GroupCommit(sessionmaker, 10, recorder, in_flight=1)
    assert (await coalescer.submit(CLIENT, "one", None)).startswith("one@")
    assert recorder.groups == [["one"]]
    assert coalescer.queued() == 0


async def test_clients_of_different_institutions_share_a_transaction(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    recorder, coalescer, first = await _first_in_flight(sessionmaker)
    one = asyncio.ensure_future(coalescer.submit(CLIENT, "one", None))
    other = asyncio.ensure_future(coalescer.submit(OTHER_CLIENT, "other", None))
    await _queued(coalescer, 2)
    recorder.release.set()
    await first
    assert (await one).split("@")[1] == (await other).split("@")[1]
    assert recorder.groups == [["first"], ["one", "other"]]
    assert [queued.principal for queued in recorder.queued[1]] == [CLIENT, OTHER_CLIENT]


async def test_an_idempotency_key_is_taken_once_per_institution_and_group(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    recorder, coalescer, first = await _first_in_flight(sessionmaker)
    same_key = [
        asyncio.ensure_future(coalescer.submit(CLIENT, "a", "key-1")),
        asyncio.ensure_future(coalescer.submit(SAME_INSTITUTION_CLIENT, "again", "key-1")),
        asyncio.ensure_future(coalescer.submit(OTHER_CLIENT, "elsewhere", "key-1")),
    ]
    await _queued(coalescer, 3)
    recorder.release.set()
    await asyncio.gather(first, *same_key)
    # Another client of the same institution waits for the next transaction; another
    # institution's key of the same name is another key.
    assert recorder.groups == [["first"], ["a", "elsewhere"], ["again"]]


async def test_a_request_cancelled_before_its_group_began_is_left_out(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    recorder, coalescer, first = await _first_in_flight(sessionmaker)
    gone = asyncio.ensure_future(coalescer.submit(CLIENT, "gone", None))
    kept = asyncio.ensure_future(coalescer.submit(CLIENT, "kept", None))
    await _queued(coalescer, 2)
    gone.cancel()
    recorder.release.set()
    await asyncio.gather(first, kept)
    assert recorder.groups == [["first"], ["kept"]]


async def test_an_error_given_for_one_item_is_raised_in_its_request_only(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    recorder, coalescer, first = await _first_in_flight(sessionmaker)
    good = asyncio.ensure_future(coalescer.submit(CLIENT, "good", None))
    bad = asyncio.ensure_future(coalescer.submit(CLIENT, "bad", None))
    await _queued(coalescer, 2)
    recorder.release.set()
    await first
    assert (await good).startswith("good@")
    with pytest.raises(ValueError, match="bad"):
        await bad
    assert recorder.groups == [["first"], ["good", "bad"]]


async def test_a_second_transaction_goes_while_the_first_is_in_flight_without_its_keys(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    recorder = Recorder()
    coalescer: GroupCommit[str, str] = GroupCommit(sessionmaker, 10, recorder, in_flight=2)
    first = asyncio.ensure_future(coalescer.submit(CLIENT, "first", "key-1"))
    await _in_flight(recorder)
    # The key the first transaction holds waits for it; the other request goes at once.
    again = asyncio.ensure_future(coalescer.submit(CLIENT, "again", "key-1"))
    other = asyncio.ensure_future(coalescer.submit(CLIENT, "other", None))
    assert (await other).startswith("other@")
    assert recorder.groups == [["first"], ["other"]]
    assert coalescer.queued() == 1
    recorder.release.set()
    await asyncio.gather(first, again)
    assert recorder.groups == [["first"], ["other"], ["again"]]
    assert coalescer.queued() == 0


def test_a_group_holds_at_least_one_request(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    with pytest.raises(ValueError, match="at least one"):
        GroupCommit(sessionmaker, 0, Recorder())
    with pytest.raises(ValueError, match="at least one"):
        GroupCommit(sessionmaker, 1, Recorder(), in_flight=0)
