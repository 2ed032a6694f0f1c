"""Group commit: concurrent requests share one transaction, whichever client sent them.

A single credential costs about five times as much issued alone as in a batch: most of its cost
is the request's transaction (``BEGIN``, its statements, ``COMMIT`` and its WAL flush), not the
credential. So requests to issue one credential do not each open a transaction. They queue, and
a dispatcher takes everything queued, up to ``issue_group_max``, into one transaction: through
the batch path for ``POST /v1/credentials`` (:mod:`app.credentials.grouped`), one savepoint per
request for the VC-API's issue (:mod:`app.vcapi.grouped`). Two transactions may be in flight
at once (``in_flight``): while one waits for Postgres (its round trips and its ``COMMIT``'s WAL
flush), the next group is checked and signed; with one, the process sat idle through every
wait (at 64 clients it used 0.7 of its core). While both are in flight the requests that arrive
wait for the next, which takes all of them. An idle queue dispatches at once, so a lone client
waits for nobody.

Requests of different clients, and of different institutions, share a transaction: each
carries its principal, and the group's issuer checks, signs and records every request for its
own principal's institution. (One queue per client gave groups no larger than that client's
concurrent requests: ten clients at 64 connections made groups of six, each paying a whole
transaction's round trips.)

Every guarantee of a request issued alone holds per request:

* its answer comes only after the transaction holding its credential has committed;
* a request refused for its own reasons (an unknown achievement, a reused idempotency key, an
  institution without a signing key) is refused alone; the others are issued;
* two requests of one institution with the same idempotency key are never in flight at once:
  the second waits for a transaction after the first's, where the first's credential is found
  and replayed (or refused when the bodies differ), exactly as if they had come one after the
  other;
* when the shared transaction fails as a whole (a database error, which one request may
  cause), nothing of it was committed, and each of its requests is issued again in a
  transaction of its own, so the error reaches only the request that causes it.

The audit entry, outgoing event, claim link and status entry are made per credential, with the
request's principal as the actor and its own request id.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar, cast

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.auth.principal import Principal
from app.context import current_request_id
from app.observability import metrics

Item = TypeVar("Item")
Result = TypeVar("Result")


@dataclass(frozen=True, slots=True)
class Queued(Generic[Item]):
    """One request's part of a group: who sent it, what it asks, its idempotency key and its
    request id."""

    principal: Principal
    item: Item
    key: str | None
    request_id: str | None

    def scoped_key(self) -> tuple[uuid.UUID | None, str] | None:
        """The idempotency key within its institution, where keys are unique."""
        return None if self.key is None else (self.principal.institution_id, self.key)


# Issues a group in the session's transaction: a result or the exception to raise, per item,
# in order. Raising fails the whole group (rolled back and re-run one by one).
RunGroup = Callable[[AsyncSession, Sequence[Queued[Item]]], Awaitable[list[Result | Exception]]]


@dataclass(slots=True)
class _Waiting(Generic[Item, Result]):
    queued: Queued[Item]
    answer: asyncio.Future[Result]


class GroupCommit(Generic[Item, Result]):
    """Coalesces concurrent requests into shared transactions, ``in_flight`` at a time."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        max_group: int,
        run: RunGroup[Item, Result],
        in_flight: int = 2,
    ) -> None:
        if max_group < 1:
            raise ValueError("a group holds at least one request")
        if in_flight < 1:
            raise ValueError("at least one transaction must be allowed in flight")
        self._sessionmaker = sessionmaker
        self._max_group = max_group
        self._run = run
        self._in_flight = in_flight
        self._queue: deque[_Waiting[Item, Result]] = deque()
        self._dispatchers: set[asyncio.Task[None]] = set()
        # The idempotency keys of the groups in flight: a key waits until its group is done.
        self._keys_in_flight: set[tuple[uuid.UUID | None, str]] = set()

    async def submit(self, principal: Principal, item: Item, key: str | None) -> Result:
        """The item's result once the transaction holding it has committed; or its error."""
        waiting: _Waiting[Item, Result] = _Waiting(
            Queued(principal, item, key, current_request_id()),
            asyncio.get_running_loop().create_future(),
        )
        self._queue.append(waiting)
        if len(self._dispatchers) < self._in_flight:
            self._dispatchers.add(asyncio.create_task(self._dispatch()))
        # A request cancelled (its client gone) before its group began is left out of it; one
        # cancelled later has its credential issued with the group, found by its idempotency key.
        return await waiting.answer

    @property
    def in_flight(self) -> int:
        """How many transactions may be in flight at once."""
        return self._in_flight

    def queued(self) -> int:
        """Requests waiting for a transaction (not those in the one in flight)."""
        return len(self._queue)

    async def _dispatch(self) -> None:
        try:
            while group := self._next_group():
                keys = {key for w in group if (key := w.queued.scoped_key()) is not None}
                self._keys_in_flight |= keys
                try:
                    await self._commit(group)
                finally:
                    self._keys_in_flight -= keys
        except BaseException:  # cancelled with the event loop: nobody may wait forever
            for waiting in self._queue:
                waiting.answer.cancel()
            raise
        finally:
            # In the same turn of the loop as the last look at the queue: a request queued
            # after it finds this dispatcher gone and starts another.
            self._dispatchers.discard(cast(asyncio.Task[None], asyncio.current_task()))

    def _next_group(self) -> list[_Waiting[Item, Result]]:
        """Up to ``max_group`` queued requests, each idempotency key of an institution at most
        once and none that a group in flight holds."""
        group: list[_Waiting[Item, Result]] = []
        keys = set(self._keys_in_flight)
        deferred: list[_Waiting[Item, Result]] = []
        while self._queue and len(group) < self._max_group:
            waiting = self._queue.popleft()
            key = waiting.queued.scoped_key()
            if key is not None and key in keys:
                deferred.append(waiting)  # settled by the next group, against this one's
                continue
            if key is not None:
                keys.add(key)
            group.append(waiting)
        self._queue.extendleft(reversed(deferred))
        return group

    async def _commit(self, group: Sequence[_Waiting[Item, Result]]) -> None:
        group = [waiting for waiting in group if not waiting.answer.done()]
        if not group:
            return
        metrics.observe_issue_group(len(group))
        try:
            async with self._sessionmaker() as session, session.begin():
                results = await self._run(session, [w.queued for w in group])
        except asyncio.CancelledError:
            for waiting in group:
                waiting.answer.cancel()
            raise
        except Exception as error:
            if len(group) == 1:
                _settle(group[0], error)
                return
            # Nothing of the group was committed; alone, each request meets only its own error.
            for waiting in group:
                await self._commit([waiting])
            return
        for waiting, result in zip(group, results, strict=True):
            _settle(waiting, result)


def _settle(waiting: _Waiting[Item, Result], result: Result | Exception) -> None:
    if waiting.answer.done():
        return
    if isinstance(result, Exception):
        waiting.answer.set_exception(result)
    else:
        waiting.answer.set_result(result)
