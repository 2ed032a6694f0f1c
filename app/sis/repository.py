"""Queries of the SIS intake: integrations, mappings, events, results and the worker's claims."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import func, or_, select, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.credentials.models import Credential
from app.db.notify import WORK_CHANNEL
from app.sis.models import CourseMapping, Integration, IntegrationSecret, SisEvent, SisResult


async def get_integration(
    session: AsyncSession, institution_id: uuid.UUID | None, integration_id: uuid.UUID
) -> Integration | None:
    query = select(Integration).where(Integration.id == integration_id)
    if institution_id is not None:
        query = query.where(Integration.institution_id == institution_id)
    return (await session.execute(query)).scalar_one_or_none()


async def list_integrations(session: AsyncSession, institution_id: uuid.UUID) -> list[Integration]:
    query = (
        select(Integration)
        .where(Integration.institution_id == institution_id)
        .order_by(Integration.created_at, Integration.id)
    )
    return list((await session.execute(query)).scalars())


async def live_secrets(
    session: AsyncSession, integration_ids: Sequence[uuid.UUID], now: datetime
) -> list[IntegrationSecret]:
    query = (
        select(IntegrationSecret)
        .where(
            IntegrationSecret.integration_id.in_(integration_ids),
            or_(IntegrationSecret.expires_at.is_(None), IntegrationSecret.expires_at > now),
        )
        .order_by(IntegrationSecret.created_at.desc())
    )
    return list((await session.execute(query)).scalars())


async def expire_secrets(session: AsyncSession, integration_id: uuid.UUID, at: datetime) -> None:
    """Let every live secret run out at ``at`` (or earlier, if it was going to already)."""
    await session.execute(
        update(IntegrationSecret)
        .where(
            IntegrationSecret.integration_id == integration_id,
            or_(IntegrationSecret.expires_at.is_(None), IntegrationSecret.expires_at > at),
        )
        .values(expires_at=at)
    )


async def mappings_of(session: AsyncSession, integration_id: uuid.UUID) -> list[CourseMapping]:
    query = (
        select(CourseMapping)
        .where(CourseMapping.integration_id == integration_id)
        .order_by(CourseMapping.course_code, CourseMapping.term.nulls_first())
    )
    return list((await session.execute(query)).scalars())


async def get_mapping(
    session: AsyncSession, integration_id: uuid.UUID, mapping_id: uuid.UUID
) -> CourseMapping | None:
    query = select(CourseMapping).where(
        CourseMapping.integration_id == integration_id, CourseMapping.id == mapping_id
    )
    return (await session.execute(query)).scalar_one_or_none()


async def mappings_for_courses(
    session: AsyncSession, integration_id: uuid.UUID, course_codes: Sequence[str]
) -> dict[tuple[str, str | None], CourseMapping]:
    query = select(CourseMapping).where(
        CourseMapping.integration_id == integration_id,
        CourseMapping.course_code.in_(course_codes),
    )
    return {(m.course_code, m.term): m for m in (await session.execute(query)).scalars()}


# --- intake -----------------------------------------------------------------------------------


async def event_by_message_id(
    session: AsyncSession, integration_id: uuid.UUID, message_id: str
) -> SisEvent | None:
    query = select(SisEvent).where(
        SisEvent.integration_id == integration_id, SisEvent.message_id == message_id
    )
    return (await session.execute(query)).scalar_one_or_none()


_INSERT_EVENT = text(
    """
    INSERT INTO sis_events
        (id, institution_id, integration_id, message_id, event_type, source, result_count,
         body_sha256)
    VALUES (:id, :institution_id, :integration_id, :message_id, :event_type, :source, :count,
            :body_sha256)
    ON CONFLICT (integration_id, message_id) DO NOTHING
    RETURNING id
    """
)

# One statement for any number of results: the rows travel as one JSON document (text, so that
# the driver's own JSON codec does not encode it a second time).
_INSERT_RESULTS = text(
    """
    WITH inserted AS (
        INSERT INTO sis_results (event_id, institution_id, integration_id, position, kind, payload,
                                 subject_key, status, reason_code, reason, processed_at)
        SELECT :event_id, :institution_id, :integration_id, r.position, r.kind, r.payload,
               r.subject_key, r.status, r.reason_code, r.reason,
               CASE WHEN r.status = 'pending' THEN NULL ELSE now() END
        FROM jsonb_to_recordset(CAST(CAST(:rows AS text) AS jsonb)) AS r(
            position int, kind text, payload jsonb, subject_key text, status text,
            reason_code text, reason text)
        RETURNING status
    )
    SELECT pg_notify(:channel, 'sis')
    FROM (SELECT 1 FROM inserted WHERE status = 'pending' LIMIT 1) AS any_pending
    """
)


@dataclass(frozen=True, slots=True)
class NewEvent:
    institution_id: uuid.UUID
    integration_id: uuid.UUID
    message_id: str
    event_type: str
    source: str
    body_sha256: bytes


async def insert_event(
    session: AsyncSession, event: NewEvent, rows: Sequence[dict[str, Any]]
) -> uuid.UUID | None:
    """Store the event and its results; None when the message id was accepted before."""
    event_id = uuid.uuid4()
    inserted = await session.execute(
        _INSERT_EVENT,
        {
            "id": event_id,
            "institution_id": event.institution_id,
            "integration_id": event.integration_id,
            "message_id": event.message_id,
            "event_type": event.event_type,
            "source": event.source,
            "count": len(rows),
            "body_sha256": event.body_sha256,
        },
    )
    if inserted.scalar_one_or_none() is None:
        return None
    await session.execute(
        _INSERT_RESULTS,
        {
            "event_id": event_id,
            "institution_id": event.institution_id,
            "integration_id": event.integration_id,
            "rows": orjson.dumps(list(rows)).decode(),
            "channel": WORK_CHANNEL,
        },
    )
    return event_id


# --- the worker's claims and outcomes ---------------------------------------------------------


async def claim_due(session: AsyncSession, limit: int) -> list[SisResult]:
    """Lock up to ``limit`` due results that no other worker holds, oldest first."""
    query = (
        select(SisResult)
        .where(SisResult.status == "pending", SisResult.next_attempt_at <= func.now())
        .order_by(SisResult.next_attempt_at, SisResult.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await session.execute(query)).scalars())


async def claim_ids(session: AsyncSession, ids: Sequence[int]) -> list[SisResult]:
    query = (
        select(SisResult)
        .where(SisResult.id.in_(ids), SisResult.status == "pending")
        .order_by(SisResult.id)
        .with_for_update(skip_locked=True)
    )
    return list((await session.execute(query)).scalars())


async def earlier_pending_subjects(
    session: AsyncSession, subject_keys: Sequence[str], before_id: int, excluded: Sequence[int]
) -> dict[str, int]:
    """For each subject key, the lowest id of a pending result before ``before_id`` not claimed
    by this batch: a withdrawal must wait for the result it withdraws."""
    query = (
        select(SisResult.subject_key, func.min(SisResult.id))
        .where(
            SisResult.subject_key.in_(subject_keys),
            SisResult.status == "pending",
            SisResult.id < before_id,
            SisResult.id.not_in(excluded),
        )
        .group_by(SisResult.subject_key)
    )
    return {key: low for key, low in (await session.execute(query)) if key is not None}


@dataclass(frozen=True, slots=True)
class IssuedCredential:
    id: uuid.UUID
    state: str


async def credentials_by_key(
    session: AsyncSession, institution_id: uuid.UUID, keys: Sequence[str]
) -> dict[str, IssuedCredential]:
    if not keys:
        return {}
    query = select(Credential.idempotency_key, Credential.id, Credential.state).where(
        Credential.institution_id == institution_id, Credential.idempotency_key.in_(keys)
    )
    return {
        key: IssuedCredential(ident, state)
        for key, ident, state in (await session.execute(query))
        if key is not None
    }


_RECORD_OUTCOMES = text(
    """
    UPDATE sis_results AS r
    SET status = o.status,
        reason_code = o.reason_code,
        reason = o.reason,
        credential_id = o.credential_id,
        attempts = r.attempts + o.attempt,
        next_attempt_at = now() + make_interval(secs => o.delay),
        processed_at = CASE WHEN o.status = 'pending' THEN NULL ELSE now() END,
        -- Once a result has its final outcome the student's identifiers are not needed again.
        payload = CASE WHEN o.status IN ('issued', 'revoked', 'skipped')
                       THEN r.payload - 'student' ELSE r.payload END
    FROM jsonb_to_recordset(CAST(CAST(:rows AS text) AS jsonb)) AS o(
        id bigint, status text, reason_code text, reason text, credential_id uuid,
        attempt int, delay float8)
    WHERE r.id = o.id
    """
)


async def record_outcomes(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await session.execute(_RECORD_OUTCOMES, {"rows": orjson.dumps(list(rows)).decode()})


# --- reading and replaying --------------------------------------------------------------------


async def counts_by_event(
    session: AsyncSession, event_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[str, int]]:
    query = (
        select(SisResult.event_id, SisResult.status, func.count())
        .where(SisResult.event_id.in_(event_ids))
        .group_by(SisResult.event_id, SisResult.status)
    )
    counts: dict[uuid.UUID, dict[str, int]] = {}
    for event_id, status, count in await session.execute(query):
        counts.setdefault(event_id, {})[status] = count
    return counts


async def outcomes_of_event(
    session: AsyncSession, event_id: uuid.UUID
) -> list[tuple[int, str, str | None, str | None]]:
    """Position, status, reason code and reason of each result of an event, in file order."""
    query = (
        select(SisResult.position, SisResult.status, SisResult.reason_code, SisResult.reason)
        .where(SisResult.event_id == event_id)
        .order_by(SisResult.position)
    )
    return [
        (position, status, reason_code, reason)
        for position, status, reason_code, reason in await session.execute(query)
    ]


async def get_event(
    session: AsyncSession, institution_id: uuid.UUID, event_id: uuid.UUID
) -> SisEvent | None:
    query = select(SisEvent).where(
        SisEvent.institution_id == institution_id, SisEvent.id == event_id
    )
    return (await session.execute(query)).scalar_one_or_none()


async def page_events(
    session: AsyncSession,
    institution_id: uuid.UUID,
    integration_id: uuid.UUID | None,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[SisEvent]:
    query = select(SisEvent).where(SisEvent.institution_id == institution_id)
    if integration_id is not None:
        query = query.where(SisEvent.integration_id == integration_id)
    if before is not None:
        query = query.where(tuple_(SisEvent.received_at, SisEvent.id) < before)
    query = query.order_by(SisEvent.received_at.desc(), SisEvent.id.desc()).limit(limit)
    return list((await session.execute(query)).scalars())


@dataclass(frozen=True, slots=True)
class ResultFilter:
    status: str | None = None
    event_id: uuid.UUID | None = None
    integration_id: uuid.UUID | None = None


async def page_results(
    session: AsyncSession,
    institution_id: uuid.UUID,
    where: ResultFilter,
    after: int | None,
    limit: int,
) -> list[SisResult]:
    query = select(SisResult).where(SisResult.institution_id == institution_id)
    if where.status is not None:
        query = query.where(SisResult.status == where.status)
    if where.event_id is not None:
        query = query.where(SisResult.event_id == where.event_id)
    if where.integration_id is not None:
        query = query.where(SisResult.integration_id == where.integration_id)
    if after is not None:
        query = query.where(SisResult.id > after)
    return list((await session.execute(query.order_by(SisResult.id).limit(limit))).scalars())


_REQUEUE = text(
    """
    WITH requeued AS (
        UPDATE sis_results
        SET status = 'pending', attempts = 0, next_attempt_at = now(), reason_code = NULL,
            reason = NULL, processed_at = NULL
        WHERE institution_id = :institution_id
          AND status = ANY(CAST(:statuses AS text[]))
          AND (CAST(:event_id AS uuid) IS NULL OR event_id = CAST(:event_id AS uuid))
          AND (CAST(:integration_id AS uuid) IS NULL
               OR integration_id = CAST(:integration_id AS uuid))
          AND (CAST(:ids AS bigint[]) IS NULL OR id = ANY(CAST(:ids AS bigint[])))
        RETURNING 1
    ), counted AS (SELECT count(*) AS n FROM requeued)
    SELECT n, CASE WHEN n > 0 THEN pg_notify(:channel, 'sis') END FROM counted
    """
)


async def requeue(
    session: AsyncSession,
    institution_id: uuid.UUID,
    statuses: Sequence[str],
    *,
    event_id: uuid.UUID | None,
    integration_id: uuid.UUID | None,
    ids: Sequence[int] | None,
) -> int:
    row = (
        await session.execute(
            _REQUEUE,
            {
                "institution_id": institution_id,
                "statuses": list(statuses),
                "event_id": event_id,
                "integration_id": integration_id,
                "ids": list(ids) if ids is not None else None,
                "channel": WORK_CHANNEL,
            },
        )
    ).one()
    return int(row[0])


_OUTCOME_COUNTS = text(
    """
    SELECT status, count(*) FROM sis_results
    WHERE CAST(:institution_id AS uuid) IS NULL OR institution_id = CAST(:institution_id AS uuid)
    GROUP BY status
    """
)
_QUEUE = text(
    """
    SELECT count(*), count(*) FILTER (WHERE next_attempt_at <= now()),
           extract(epoch FROM now() - min(created_at))
    FROM sis_results
    WHERE status = 'pending'
      AND (CAST(:institution_id AS uuid) IS NULL OR institution_id = CAST(:institution_id AS uuid))
    """
)


@dataclass(frozen=True, slots=True)
class QueueDepth:
    pending: int
    oldest_age_seconds: float


_DEPTH = text(
    """
    SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0)
    FROM sis_results WHERE status = 'pending'
    """
)


async def queue_depth(session: AsyncSession) -> QueueDepth:
    """Across institutions, from the partial index of pending results: cheap to poll."""
    pending, age = (await session.execute(_DEPTH)).one()
    return QueueDepth(int(pending), float(age))


async def queue_stats(session: AsyncSession, institution_id: uuid.UUID | None) -> dict[str, Any]:
    """Queue depth and outcome counters, of one institution or (None) of all."""
    params = {"institution_id": institution_id}
    counts = {s: int(n) for s, n in (await session.execute(_OUTCOME_COUNTS, params))}
    pending, due, age = (await session.execute(_QUEUE, params)).one()
    return {
        "pending": int(pending),
        "due": int(due),
        "oldest_pending_age_seconds": float(age) if age is not None else None,
        "outcomes": counts,
    }
