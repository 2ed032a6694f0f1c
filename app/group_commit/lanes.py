"""Group commit: concurrent requests of one client share one transaction.

A single credential costs about five times as much issued alone as in a batch: most of its cost
is the request's transaction (``BEGIN``, a dozen statements, ``COMMIT`` and its WAL flush), not
the credential. So requests to issue one credential do not each open a transaction. They queue
in a *lane* (one per API client, so one institution and one audit actor), and the lane's
dispatcher takes everything queued, up to ``issue_group_max``, into one transaction: through the
batch path for ``POST /v1/credentials`` (:mod:`app.credentials.grouped`), one savepoint per
request for the VC-API's issue (:mod:`app.vcapi.grouped`). While that transaction is in flight the
requests that arrive wait for the next, which takes all of them. An idle lane dispatches at
once, so a lone client waits for nobody.

Every guarantee of a request issued alone holds per request:

* its answer comes only after the transaction holding its credential has committed;
* a request refused for its own reasons (an unknown achievement, a reused idempotency key) is
  refused alone (a failed item of the batch path, a rolled-back savepoint); the others are
  issued;
* two requests with the same idempotency key never share a transaction: the second waits for
  the next one, where the first's credential is found and replayed (or refused when the bodies
  differ), exactly as if they had come one after the other;
* when the shared transaction fails as a whole (a database error, which one item may cause),
  nothing of it was committed, and each of its requests is issued again in a transaction of
  its own, so the error reaches only the request that causes it.

The audit entry, outgoing event, claim link and status entry are made per credential, with the
lane's principal as the actor and each request's own request id.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.auth.principal import Principal
from app.context import current_request_id
from app.observability import metrics

Item = TypeVar("Item")
Result = TypeVar("Result")


@dataclass(frozen=True, slots=True)
class Queued(Generic[Item]):
    """One request's part of a group: what it asks, its idempotency key and request id."""

    item: Item
    key: str | None
    request_id: str | None


# Issues a group in the session's transaction: a result or the exception to raise, per item,
# in order. Raising fails the whole group (rolled back and re-run one by one).
RunGroup = Callable[
    [AsyncSession, Principal, Sequence[Queued[Item]]], Awaitable[list[Result | Exception]]
]


@dataclass(slots=True)
class _Waiting(Generic[Item, Result]):
    queued: Queued[Item]
    answer: asyncio.Future[Result]


@dataclass(slots=True)
class _Lane(Generic[Item, Result]):
    principal: Principal
    queue: deque[_Waiting[Item, Result]] = field(default_factory=deque)
    dispatcher: asyncio.Task[None] | None = None


class GroupCommit(Generic[Item, Result]):
    """Coalesces concurrent requests into shared transactions, one lane per client."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        max_group: int,
        run: RunGroup[Item, Result],
    ) -> None:
        if max_group < 1:
            raise ValueError("a group holds at least one request")
        self._sessionmaker = sessionmaker
        self._max_group = max_group
        self._run = run
        # Keyed by the whole principal: a key whose scopes change gets a lane of its own.
        self._lanes: dict[Principal, _Lane[Item, Result]] = {}

    async def submit(self, principal: Principal, item: Item, key: str | None) -> Result:
        """The item's result once the transaction holding it has committed; or its error."""
        lane = self._lane(principal)
        waiting: _Waiting[Item, Result] = _Waiting(
            Queued(item, key, current_request_id()), asyncio.get_running_loop().create_future()
        )
        lane.queue.append(waiting)
        if lane.dispatcher is None:
            lane.dispatcher = asyncio.create_task(self._dispatch(lane))
        # A request cancelled (its client gone) before its group began is left out of it; one
        # cancelled later has its credential issued with the group, found by its idempotency key.
        return await waiting.answer

    def queued(self) -> int:
        """Requests waiting for a transaction (not those in the one in flight)."""
        return sum(len(lane.queue) for lane in self._lanes.values())

    def _lane(self, principal: Principal) -> _Lane[Item, Result]:
        lane = self._lanes.get(principal)
        if lane is None:
            lane = self._lanes[principal] = _Lane(principal)
        return lane

    async def _dispatch(self, lane: _Lane[Item, Result]) -> None:
        try:
            while lane.queue:
                await self._commit(lane.principal, self._next_group(lane))
        except BaseException:  # cancelled with the event loop: nobody may wait forever
            for waiting in lane.queue:
                waiting.answer.cancel()
            raise
        finally:
            lane.dispatcher = None
            if not lane.queue:
                self._lanes.pop(lane.principal, None)

    def _next_group(self, lane: _Lane[Item, Result]) -> list[_Waiting[Item, Result]]:
        """Up to ``max_group`` queued requests, each idempotency key at most once."""
        group: list[_Waiting[Item, Result]] = []
        keys: set[str] = set()
        deferred: list[_Waiting[Item, Result]] = []
        while lane.queue and len(group) < self._max_group:
            waiting = lane.queue.popleft()
            key = waiting.queued.key
            if key is not None and key in keys:
                deferred.append(waiting)  # settled by the next group, against this one's
                continue
            if key is not None:
                keys.add(key)
            group.append(waiting)
        lane.queue.extendleft(reversed(deferred))
        return group

    async def _commit(self, principal: Principal, group: Sequence[_Waiting[Item, Result]]) -> None:
        group = [waiting for waiting in group if not waiting.answer.done()]
        if not group:
            return
        metrics.observe_issue_group(len(group))
        try:
            async with self._sessionmaker() as session, session.begin():
                results = await self._run(session, principal, [w.queued for w in group])
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
                await self._commit(principal, [waiting])
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
