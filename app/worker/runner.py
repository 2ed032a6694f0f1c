"""The background worker: SIS results, pathways, outgoing webhook deliveries and claim-link mails.

Work lives in Postgres rows. Each loop claims a batch (``FOR UPDATE SKIP LOCKED`` for results, a
lease for deliveries), handles it and commits, so any number of workers can run side by side and
a worker that dies leaves nothing claimed: its transaction rolls back, or its lease runs out. A
``LISTEN`` connection wakes the loops when work arrives; they also poll, which covers missed
notifications and retries falling due.

On stop (SIGTERM) the loops finish the batch in hand, commit it, and return.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import asyncpg
import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.db.notify import WORK_CHANNEL
from app.db.session import async_database_url
from app.db.unavailable import database_unavailable, sqlstate
from app.mail import repository as mail_repository
from app.mail.repository import MAIL_WORK
from app.mail.sending import ATTEMPT_TIMEOUTS, MailSender
from app.observability import metrics
from app.pathways import engine as pathways
from app.pathways.outbox import PATHWAY_WORK
from app.sis import repository as sis_repository
from app.sis.processing import process_claimed
from app.webhooks import repository as webhooks_repository
from app.webhooks.delivery import Sender

logger = logging.getLogger(__name__)

_LEASE_MARGIN_SECONDS = 30.0
_MAX_IDLE_BACKOFF = 30.0
# Mails sent side by side in one round: each is its own SMTP connection.
_MAILS_PER_ROUND = 20


@dataclass
class _Wakeups:
    sis: asyncio.Event = field(default_factory=asyncio.Event)
    webhooks: asyncio.Event = field(default_factory=asyncio.Event)
    mail: asyncio.Event = field(default_factory=asyncio.Event)
    pathways: asyncio.Event = field(default_factory=asyncio.Event)
    gauges: asyncio.Event = field(default_factory=asyncio.Event)

    def all(self) -> None:
        self.sis.set()
        self.webhooks.set()
        self.mail.set()
        self.pathways.set()
        self.gauges.set()


def _setter(event: asyncio.Event) -> Callable[[object], None]:
    def set_event(_: object) -> None:
        event.set()

    return set_event


class Worker:
    def __init__(
        self,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sender: Sender | None = None,
    ) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.sender = sender or Sender(settings, transport=transport)
        self.mail_sender = MailSender(settings)
        self.wakeups = _Wakeups()
        self.stopping = asyncio.Event()
        self.processed: dict[str, int] = {}

    # --- the loops --------------------------------------------------------------------------

    async def run(self) -> None:
        """Run until :meth:`stop`; then finish the batches in hand and return."""
        listener = asyncio.create_task(self._listen(), name="stapel-listen")
        loops = [
            asyncio.create_task(self._loop(self.sis_round, self.wakeups.sis), name=f"sis-{n}")
            for n in range(self.settings.worker_concurrency)
        ]
        loops.append(
            asyncio.create_task(
                self._loop(self.delivery_round, self.wakeups.webhooks), name="webhooks"
            )
        )
        loops.append(
            asyncio.create_task(self._loop(self.mail_round, self.wakeups.mail), name="mail")
        )
        # Each evaluation is a handful of round trips in a transaction of its own, so loops side
        # by side (their events claimed with SKIP LOCKED, learners serialised by advisory lock)
        # multiply the rate while one core has room.
        loops.extend(
            asyncio.create_task(
                self._loop(self.pathway_round, self.wakeups.pathways), name=f"pathways-{n}"
            )
            for n in range(self.settings.pathway_concurrency)
        )
        loops.append(
            asyncio.create_task(
                self._loop(self.refresh_queue_gauges, self.wakeups.gauges), name="queue-gauges"
            )
        )
        try:
            await self.stopping.wait()
        finally:
            self.stopping.set()
            self.wakeups.all()
            await asyncio.gather(*loops, return_exceptions=True)
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener
            await self.sender.aclose()

    def stop(self) -> None:
        self.stopping.set()
        self.wakeups.all()

    async def _loop(self, round_: Callable[[], Awaitable[int]], wakeup: asyncio.Event) -> None:
        failures = 0
        while not self.stopping.is_set():
            wakeup.clear()
            try:
                handled = await round_()
                failures = 0
            except Exception:  # the database is away, or a bug: log, wait, try again
                failures += 1
                logger.exception("worker round failed (%d in a row)", failures)
                handled = 0
                await self._sleep(wakeup, min(2.0**failures, _MAX_IDLE_BACKOFF))
                continue
            if handled == 0:
                await self._sleep(wakeup, self.settings.worker_poll_seconds)

    async def _sleep(self, wakeup: asyncio.Event, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wakeup.wait(), timeout=seconds)

    async def _listen(self) -> None:
        """Keep a LISTEN connection; reconnect after the database comes back."""
        url = async_database_url(self.settings.database_url).replace(
            "postgresql+asyncpg://", "postgresql://", 1
        )
        delay = 0.5
        while True:
            try:
                connection = await asyncpg.connect(url)
            except (OSError, asyncpg.PostgresError):
                await asyncio.sleep(delay)
                delay = min(delay * 2, _MAX_IDLE_BACKOFF)
                continue
            delay = 0.5
            lost = asyncio.Event()
            connection.add_termination_listener(_setter(lost))
            try:
                await connection.add_listener(WORK_CHANNEL, self._notified)
                self.wakeups.all()  # whatever arrived while we were not listening
                await lost.wait()
            except (OSError, asyncpg.PostgresError):
                pass
            finally:
                with contextlib.suppress(Exception):
                    await connection.close(timeout=2)

    def _notified(self, _connection: object, _pid: int, _channel: str, payload: object) -> None:
        if payload == "webhooks":
            self.wakeups.webhooks.set()
        elif payload == MAIL_WORK:
            self.wakeups.mail.set()
        elif payload == PATHWAY_WORK:
            self.wakeups.pathways.set()
        else:
            self.wakeups.sis.set()

    # --- SIS results ------------------------------------------------------------------------

    async def sis_round(self) -> int:
        """Claim due results and give each an outcome; returns how many were claimed."""
        claimed_ids: list[int] = []
        try:
            async with self.sessionmaker() as session, session.begin():
                claimed = await sis_repository.claim_due(session, self.settings.worker_batch_size)
                claimed_ids = [r.id for r in claimed]
                if claimed:
                    self._count(await process_claimed(session, claimed))
        except Exception as error:
            # A database that cannot take work now says nothing about the results: the batch
            # rolled back, they are pending and unclaimed, and the loop backs off and retries.
            if not claimed_ids or database_unavailable(error):
                raise
            logger.exception(
                "a batch of %d results failed; taking them one by one", len(claimed_ids)
            )
            for result_id in claimed_ids:
                await self._one_alone(result_id)
        return len(claimed_ids)

    async def _one_alone(self, result_id: int) -> None:
        """Process one result of a failed batch; a failure of its own counts an attempt.

        An unavailable database (at its connection limit, restarting, read-only after a
        failover, a lost connection) is no fault of the result: it stays pending with its
        attempts unchanged, and the error goes to the loop, which backs off. Counting it would
        dead-letter good results during a long enough outage.
        """
        try:
            async with self.sessionmaker() as session, session.begin():
                claimed = await sis_repository.claim_ids(session, [result_id])
                if claimed:
                    self._count(await process_claimed(session, claimed))
        except Exception as error:
            if database_unavailable(error):
                logger.warning(
                    "result %d left pending: the database is unavailable (%s)",
                    result_id,
                    sqlstate(error) or type(error).__name__,
                )
                raise
            logger.exception("result %d failed", result_id)
            await self._retry_later(result_id, error)

    async def _retry_later(self, result_id: int, error: Exception) -> None:
        """Count a failed attempt: back off, and after the last one, dead-letter the result."""
        async with self.sessionmaker() as session, session.begin():
            await session.execute(
                text(
                    """
                    UPDATE sis_results
                    SET attempts = attempts + 1,
                        status = CASE WHEN attempts + 1 >= :max THEN 'dead' ELSE status END,
                        processed_at = CASE WHEN attempts + 1 >= :max THEN now() END,
                        reason_code = 'processing_error',
                        reason = :reason,
                        next_attempt_at = now() + make_interval(
                            secs => :base * power(2, attempts))
                    WHERE id = :id AND status = 'pending'
                    """
                ),
                {
                    "id": result_id,
                    "max": self.settings.sis_max_attempts,
                    "base": self.settings.sis_retry_base_seconds,
                    "reason": f"{type(error).__name__} while processing",
                },
            )

    def _count(self, counts: dict[str, int]) -> None:
        for status, n in counts.items():
            self.processed[status] = self.processed.get(status, 0) + n
            if status != "pending":  # deferred withdrawals come back; they are no outcome
                metrics.count_sis_result(status, n)

    async def refresh_queue_gauges(self) -> int:
        """Publish queue depth and the oldest result's age; the loop's 'work' is one reading."""
        async with self.sessionmaker() as session:
            stats = await sis_repository.queue_depth(session)
        metrics.set_sis_queue(stats.pending, stats.oldest_age_seconds)
        return 0

    # --- pathways ---------------------------------------------------------------------------

    async def pathway_round(self) -> int:
        """Evaluate due component changes against the pathways (``app.pathways.engine``)."""
        return await pathways.run_round(self.sessionmaker, self.settings.worker_batch_size)

    # --- outgoing deliveries ----------------------------------------------------------------

    async def delivery_round(self) -> int:
        lease = self.settings.webhook_timeout_seconds + _LEASE_MARGIN_SECONDS
        async with self.sessionmaker() as session, session.begin():
            leased = await webhooks_repository.lease_due(session, 50, lease)
        if not leased:
            return 0
        results = await asyncio.gather(*(self.sender.send(d) for d in leased))
        async with self.sessionmaker() as session, session.begin():
            await webhooks_repository.record_attempts(
                session, results, self.settings.webhook_disable_after_failures
            )
        for result in results:
            metrics.count_webhook_attempt("delivered" if result.ok else "failed")
            if not result.ok and result.retry_in is None:
                metrics.count_webhook_failed()
        return len(leased)

    # --- claim-link mails -------------------------------------------------------------------

    async def mail_round(self) -> int:
        """Lease due mails, send them with no transaction open, record every outcome."""
        lease = self.settings.mail_timeout_seconds * ATTEMPT_TIMEOUTS + _LEASE_MARGIN_SECONDS
        async with self.sessionmaker() as session, session.begin():
            leased = await mail_repository.lease_due(session, _MAILS_PER_ROUND, lease)
        if not leased:
            return 0
        outcomes = await asyncio.gather(*(self.mail_sender.send(m) for m in leased))
        async with self.sessionmaker() as session, session.begin():
            await mail_repository.record_outcomes(session, outcomes)
        for outcome in outcomes:
            final = outcome.ok or outcome.retry_in is None
            metrics.count_mail("sent" if outcome.ok else "failed" if final else "retry")
            if not outcome.ok:
                # The mail's id and the kind of failure; never the address.
                logger.warning("claim mail %s not sent: %s", outcome.mail_id, outcome.error)
        return len(leased)
