"""Group commit: concurrent single issuances share one issuing transaction.

A single credential costs about five times as much issued alone as in a batch: most of its cost
is the request's transaction (``BEGIN``, a dozen statements, ``COMMIT`` and its WAL flush), not
the credential. So requests to issue one credential do not each open a transaction. They queue
in a *lane* (one per API client, so one institution and one audit actor), and the lane's
dispatcher takes everything queued, up to ``issue_group_max``, into one transaction through the
batch path (:func:`app.credentials.service.issue_many`). While that transaction is in flight the
requests that arrive wait for the next, which takes all of them. An idle lane dispatches at
once, so a lone client waits for nobody.

Every guarantee of a request issued alone holds per request:

* its answer comes only after the transaction holding its credential has committed;
* a request refused for its own reasons (an unknown achievement, a reused idempotency key) is
  settled by the batch path as a failed item, alone; the others are issued;
* two requests with the same idempotency key never share a transaction: the second waits for
  the next one, where the first's credential is found and replayed (or refused when the bodies
  differ), exactly as if they had come one after the other;
* when the shared transaction fails as a whole (a database error, which one item may cause),
  nothing of it was committed, and each of its requests is issued again in a transaction of
  its own, so the error reaches only the request that causes it.

The audit entry, outgoing event, claim link and status entry are made per credential by the
batch path, with the lane's principal as the actor.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.auth.principal import Principal
from app.context import current_request_id
from app.credentials import service
from app.credentials.issuance import Outcome
from app.credentials.schemas import CredentialIssue
from app.observability import metrics


@dataclass(slots=True)
class _Waiting:
    request: CredentialIssue
    key: str | None
    request_id: str | None
    answer: asyncio.Future[Outcome]


@dataclass(slots=True)
class _Lane:
    principal: Principal
    queue: deque[_Waiting] = field(default_factory=deque)
    dispatcher: asyncio.Task[None] | None = None


class GroupCommit:
    """Coalesces concurrent single issuances into shared transactions, one lane per client."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], max_group: int) -> None:
        if max_group < 1:
            raise ValueError("a group holds at least one request")
        self._sessionmaker = sessionmaker
        self._max_group = max_group
        # Keyed by the whole principal: a key whose scopes change gets a lane of its own.
        self._lanes: dict[Principal, _Lane] = {}

    async def issue(
        self, principal: Principal, request: CredentialIssue, key: str | None
    ) -> service.Issued:
        """Issue one credential (or replay an earlier one) once its transaction has committed."""
        lane = self._lane(principal)
        waiting = _Waiting(
            request, key, current_request_id(), asyncio.get_running_loop().create_future()
        )
        lane.queue.append(waiting)
        if lane.dispatcher is None:
            lane.dispatcher = asyncio.create_task(self._dispatch(lane))
        # A request cancelled (its client gone) before its group began is left out of it; one
        # cancelled later has its credential issued with the group, found by its idempotency key.
        outcome = await waiting.answer
        return service.issued_from(outcome)

    def queued(self) -> int:
        """Requests waiting for a transaction (not those in the one in flight)."""
        return sum(len(lane.queue) for lane in self._lanes.values())

    def _lane(self, principal: Principal) -> _Lane:
        lane = self._lanes.get(principal)
        if lane is None:
            lane = self._lanes[principal] = _Lane(principal)
        return lane

    async def _dispatch(self, lane: _Lane) -> None:
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

    def _next_group(self, lane: _Lane) -> list[_Waiting]:
        """Up to ``max_group`` queued requests, each idempotency key at most once."""
        group: list[_Waiting] = []
        keys: set[str] = set()
        deferred: list[_Waiting] = []
        while lane.queue and len(group) < self._max_group:
            waiting = lane.queue.popleft()
            if waiting.key is not None and waiting.key in keys:
                deferred.append(waiting)  # settled by the next group, against this one's
                continue
            if waiting.key is not None:
                keys.add(waiting.key)
            group.append(waiting)
        lane.queue.extendleft(reversed(deferred))
        return group

    async def _commit(self, principal: Principal, group: Sequence[_Waiting]) -> None:
        group = [waiting for waiting in group if not waiting.answer.done()]
        if not group:
            return
        metrics.observe_issue_group(len(group))
        try:
            outcomes = await self._issue_together(principal, group)
        except asyncio.CancelledError:
            for waiting in group:
                waiting.answer.cancel()
            raise
        except Exception as error:
            if len(group) == 1:
                _settle_with(group[0], error)
                return
            # Nothing of the group was committed; alone, each request meets only its own error.
            for waiting in group:
                await self._commit(principal, [waiting])
            return
        for waiting, outcome in zip(group, outcomes, strict=True):
            if not waiting.answer.done():
                waiting.answer.set_result(outcome)

    async def _issue_together(
        self, principal: Principal, group: Sequence[_Waiting]
    ) -> list[Outcome]:
        async with self._sessionmaker() as session, session.begin():
            return await service.issue_many(
                session,
                principal,
                [(waiting.request, waiting.key) for waiting in group],
                [waiting.request_id for waiting in group],
            )


def _settle_with(waiting: _Waiting, error: Exception) -> None:
    if not waiting.answer.done():
        waiting.answer.set_exception(error)
