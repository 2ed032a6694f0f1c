"""Queries of outgoing webhooks: endpoints, the delivery outbox and its attempts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.notify import WORK_CHANNEL
from app.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


async def get_endpoint(
    session: AsyncSession, institution_id: uuid.UUID, endpoint_id: uuid.UUID
) -> WebhookEndpoint | None:
    query = select(WebhookEndpoint).where(
        WebhookEndpoint.institution_id == institution_id, WebhookEndpoint.id == endpoint_id
    )
    return (await session.execute(query)).scalar_one_or_none()


async def list_endpoints(session: AsyncSession, institution_id: uuid.UUID) -> list[WebhookEndpoint]:
    query = (
        select(WebhookEndpoint)
        .where(WebhookEndpoint.institution_id == institution_id)
        .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
    )
    return list((await session.execute(query)).scalars())


async def get_delivery(
    session: AsyncSession, institution_id: uuid.UUID, delivery_id: uuid.UUID
) -> WebhookDelivery | None:
    query = select(WebhookDelivery).where(
        WebhookDelivery.institution_id == institution_id, WebhookDelivery.id == delivery_id
    )
    return (await session.execute(query)).scalar_one_or_none()


async def page_deliveries(
    session: AsyncSession,
    endpoint_id: uuid.UUID,
    status: str | None,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[WebhookDelivery]:
    query = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
    if status is not None:
        query = query.where(WebhookDelivery.status == status)
    if before is not None:
        query = query.where(tuple_(WebhookDelivery.created_at, WebhookDelivery.id) < before)
    query = query.order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
    return list((await session.execute(query.limit(limit))).scalars())


async def attempts_of(
    session: AsyncSession, delivery_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[WebhookAttempt]]:
    query = (
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id.in_(delivery_ids))
        .order_by(WebhookAttempt.id)
    )
    attempts: dict[uuid.UUID, list[WebhookAttempt]] = {}
    for attempt in (await session.execute(query)).scalars():
        attempts.setdefault(attempt.delivery_id, []).append(attempt)
    return attempts


_REQUEUE = text(
    """
    WITH requeued AS (
        UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = now()
        WHERE id = :id RETURNING 1
    )
    SELECT pg_notify(:channel, 'webhooks') FROM requeued
    """
)


async def requeue(session: AsyncSession, delivery_id: uuid.UUID) -> None:
    await session.execute(_REQUEUE, {"id": delivery_id, "channel": WORK_CHANNEL})


# --- the delivery loop ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Leased:
    id: uuid.UUID
    endpoint_id: uuid.UUID
    payload: dict[str, Any]
    attempts: int
    url: str
    secret_wrapped: bytes


_LEASE = text(
    """
    UPDATE webhook_deliveries AS d
    SET next_attempt_at = now() + make_interval(secs => :lease)
    FROM webhook_endpoints AS e
    WHERE e.id = d.endpoint_id
      AND d.id IN (
        SELECT d2.id FROM webhook_deliveries AS d2
        JOIN webhook_endpoints AS e2 ON e2.id = d2.endpoint_id
        WHERE d2.status = 'pending' AND d2.next_attempt_at <= now() AND e2.enabled
        ORDER BY d2.next_attempt_at
        LIMIT :limit
        FOR UPDATE OF d2 SKIP LOCKED)
    RETURNING d.id, d.endpoint_id, d.payload, d.attempts, e.url, e.secret_wrapped
    """
)


async def lease_due(session: AsyncSession, limit: int, lease_seconds: float) -> list[Leased]:
    """Take due deliveries for ``lease_seconds``: if this worker dies, they fall due again."""
    rows = await session.execute(_LEASE, {"limit": limit, "lease": lease_seconds})
    return [Leased(*row) for row in rows]


@dataclass(frozen=True, slots=True)
class AttemptResult:
    delivery_id: uuid.UUID
    endpoint_id: uuid.UUID
    ok: bool
    status_code: int | None
    error: str | None
    duration_ms: int
    retry_in: float | None  # None: no further attempt


_RECORD = text(
    """
    WITH o AS (
        SELECT * FROM jsonb_to_recordset(CAST(CAST(:rows AS text) AS jsonb)) AS o(
            delivery_id uuid, endpoint_id uuid, ok boolean, status_code int, error text,
            duration_ms int, retry_in float8)
    ), attempts AS (
        INSERT INTO webhook_attempts (delivery_id, status_code, error, duration_ms)
        SELECT delivery_id, status_code, error, duration_ms FROM o
    ), deliveries AS (
        UPDATE webhook_deliveries AS d
        SET attempts = d.attempts + 1,
            status = CASE WHEN o.ok THEN 'delivered'
                          WHEN o.retry_in IS NULL THEN 'failed' ELSE 'pending' END,
            delivered_at = CASE WHEN o.ok THEN now() END,
            next_attempt_at = now() + make_interval(secs => coalesce(o.retry_in, 0))
        FROM o WHERE d.id = o.delivery_id
    )
    UPDATE webhook_endpoints AS e
    SET consecutive_failures = CASE WHEN s.any_ok THEN 0
                                    ELSE e.consecutive_failures + s.failures END,
        enabled = CASE WHEN NOT s.any_ok
                        AND e.consecutive_failures + s.failures >= :disable_after
                       THEN false ELSE e.enabled END,
        disabled_reason = CASE WHEN NOT s.any_ok
                                AND e.consecutive_failures + s.failures >= :disable_after
                               THEN :disabled_reason ELSE e.disabled_reason END
    FROM (SELECT endpoint_id, bool_or(ok) AS any_ok, count(*) FILTER (WHERE NOT ok) AS failures
          FROM o GROUP BY endpoint_id) AS s
    WHERE e.id = s.endpoint_id
    """
)


async def record_attempts(
    session: AsyncSession, results: Sequence[AttemptResult], disable_after: int
) -> None:
    rows = [
        {
            "delivery_id": str(r.delivery_id),
            "endpoint_id": str(r.endpoint_id),
            "ok": r.ok,
            "status_code": r.status_code,
            "error": r.error,
            "duration_ms": r.duration_ms,
            "retry_in": r.retry_in,
        }
        for r in results
    ]
    await session.execute(
        _RECORD,
        {
            "rows": orjson.dumps(rows).decode(),
            "disable_after": disable_after,
            "disabled_reason": f"disabled after {disable_after} failed deliveries in a row",
        },
    )
