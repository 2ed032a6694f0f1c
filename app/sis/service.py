"""Managing SIS integrations: their secrets, their course mappings, and what they sent."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.achievements import repository as achievements
from app.audit.service import AuditEntry, record
from app.auth.principal import Principal
from app.config import get_settings
from app.errors import Conflict, FieldError, NotFound, ValidationFailed
from app.sis import repository
from app.sis.models import CourseMapping, Integration, IntegrationSecret, SisEvent, SisResult
from app.sis.repository import ResultFilter
from app.sis.schemas import CourseMappingIn, Replay
from app.webhooks.signing import new_secret, wrap_secret


def intake_url(integration_id: uuid.UUID) -> str:
    return f"{get_settings().public_base_url}/v1/sis/{integration_id}/events"


@dataclass(frozen=True, slots=True)
class IntegrationView:
    integration: Integration
    secrets: list[IntegrationSecret]


async def _audit(
    session: AsyncSession, principal: Principal, action: str, target: str, data: dict[str, Any]
) -> None:
    await record(
        session,
        principal.actor,
        AuditEntry(action, "integration", target, principal.tenant(), data),
    )


async def _add_secret(session: AsyncSession, integration_id: uuid.UUID) -> str:
    secret = new_secret()
    row = IntegrationSecret(id=uuid.uuid4(), integration_id=integration_id, wrapped=b"")
    row.wrapped = wrap_secret(secret, row.id)
    session.add(row)
    await session.flush()
    return secret


async def create_integration(
    session: AsyncSession, principal: Principal, name: str
) -> tuple[IntegrationView, str]:
    integration = Integration(id=uuid.uuid4(), institution_id=principal.tenant(), name=name)
    session.add(integration)
    await session.flush()
    secret = await _add_secret(session, integration.id)
    await _audit(session, principal, "integration.created", str(integration.id), {"name": name})
    return await get_integration(session, principal, integration.id), secret


async def integration_of(
    session: AsyncSession, principal: Principal, integration_id: uuid.UUID
) -> Integration:
    integration = await repository.get_integration(session, principal.tenant(), integration_id)
    if integration is None:
        raise NotFound("No such integration.")
    return integration


async def get_integration(
    session: AsyncSession, principal: Principal, integration_id: uuid.UUID
) -> IntegrationView:
    integration = await integration_of(session, principal, integration_id)
    secrets = await repository.live_secrets(session, [integration.id], datetime.now(UTC))
    return IntegrationView(integration, secrets)


async def list_integrations(session: AsyncSession, principal: Principal) -> list[IntegrationView]:
    integrations = await repository.list_integrations(session, principal.tenant())
    secrets = await repository.live_secrets(
        session, [i.id for i in integrations], datetime.now(UTC)
    )
    return [
        IntegrationView(i, [s for s in secrets if s.integration_id == i.id]) for i in integrations
    ]


async def rename_integration(
    session: AsyncSession, principal: Principal, integration_id: uuid.UUID, name: str
) -> IntegrationView:
    integration = await integration_of(session, principal, integration_id)
    integration.name = name
    await session.flush()
    await _audit(session, principal, "integration.updated", str(integration_id), {"name": name})
    return await get_integration(session, principal, integration_id)


async def rotate_secret(
    session: AsyncSession, principal: Principal, integration_id: uuid.UUID, overlap_seconds: int
) -> tuple[IntegrationView, str]:
    """A new secret; the current ones keep verifying for ``overlap_seconds``, then stop."""
    await integration_of(session, principal, integration_id)
    await repository.expire_secrets(
        session, integration_id, datetime.now(UTC) + timedelta(seconds=overlap_seconds)
    )
    secret = await _add_secret(session, integration_id)
    await _audit(
        session,
        principal,
        "integration.secret_rotated",
        str(integration_id),
        {"overlap_seconds": overlap_seconds},
    )
    return await get_integration(session, principal, integration_id), secret


# --- course mappings --------------------------------------------------------------------------


async def _check_achievement(
    session: AsyncSession, principal: Principal, achievement_id: uuid.UUID
) -> None:
    known = await achievements.existing_ids(session, principal.tenant(), [achievement_id])
    if achievement_id not in known:
        raise ValidationFailed(
            "The mapping names an achievement that does not exist.",
            errors=[FieldError("#/achievement_id", "no such achievement", "unknown_achievement")],
        )


def _apply(mapping: CourseMapping, body: CourseMappingIn) -> None:
    mapping.course_code = body.course_code
    mapping.term = body.term
    mapping.achievement_id = body.achievement_id
    mapping.pass_threshold = body.pass_rule.threshold
    mapping.pass_values = list(body.pass_rule.pass_values)


async def _flush_mapping(session: AsyncSession) -> None:
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict("This course code already has a mapping for this term.") from exc


async def create_mapping(
    session: AsyncSession, principal: Principal, integration_id: uuid.UUID, body: CourseMappingIn
) -> CourseMapping:
    await integration_of(session, principal, integration_id)
    await _check_achievement(session, principal, body.achievement_id)
    mapping = CourseMapping(id=uuid.uuid4(), integration_id=integration_id)
    _apply(mapping, body)
    session.add(mapping)
    await _flush_mapping(session)
    await _audit(
        session,
        principal,
        "integration.mapping_created",
        str(integration_id),
        body.model_dump(mode="json"),
    )
    return mapping


async def _mapping(
    session: AsyncSession, principal: Principal, integration_id: uuid.UUID, mapping_id: uuid.UUID
) -> CourseMapping:
    await integration_of(session, principal, integration_id)
    mapping = await repository.get_mapping(session, integration_id, mapping_id)
    if mapping is None:
        raise NotFound("No such course mapping.")
    return mapping


async def replace_mapping(
    session: AsyncSession,
    principal: Principal,
    integration_id: uuid.UUID,
    mapping_id: uuid.UUID,
    body: CourseMappingIn,
) -> CourseMapping:
    mapping = await _mapping(session, principal, integration_id, mapping_id)
    await _check_achievement(session, principal, body.achievement_id)
    _apply(mapping, body)
    await _flush_mapping(session)
    await _audit(
        session,
        principal,
        "integration.mapping_updated",
        str(integration_id),
        {"mapping_id": str(mapping_id), **body.model_dump(mode="json")},
    )
    return mapping


async def delete_mapping(
    session: AsyncSession, principal: Principal, integration_id: uuid.UUID, mapping_id: uuid.UUID
) -> None:
    mapping = await _mapping(session, principal, integration_id, mapping_id)
    await session.delete(mapping)
    await session.flush()
    await _audit(
        session,
        principal,
        "integration.mapping_deleted",
        str(integration_id),
        {"mapping_id": str(mapping_id)},
    )


async def list_mappings(
    session: AsyncSession, principal: Principal, integration_id: uuid.UUID
) -> list[CourseMapping]:
    await integration_of(session, principal, integration_id)
    return await repository.mappings_of(session, integration_id)


# --- events, results, replay ------------------------------------------------------------------


async def get_event(
    session: AsyncSession, principal: Principal, event_id: uuid.UUID
) -> tuple[SisEvent, dict[str, int]]:
    event = await repository.get_event(session, principal.tenant(), event_id)
    if event is None:
        raise NotFound("No such event.")
    counts = await repository.counts_by_event(session, [event.id])
    return event, counts.get(event.id, {})


async def list_events(
    session: AsyncSession,
    principal: Principal,
    integration_id: uuid.UUID | None,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[tuple[SisEvent, dict[str, int]]]:
    events = await repository.page_events(
        session, principal.tenant(), integration_id, before, limit
    )
    counts = await repository.counts_by_event(session, [e.id for e in events])
    return [(event, counts.get(event.id, {})) for event in events]


async def list_results(
    session: AsyncSession, principal: Principal, where: ResultFilter, after: int | None, limit: int
) -> Sequence[SisResult]:
    return await repository.page_results(session, principal.tenant(), where, after, limit)


async def replay(session: AsyncSession, principal: Principal, body: Replay) -> int:
    """Queue failed (or dead) results again, e.g. after a missing course mapping was added."""
    requeued = await repository.requeue(
        session,
        principal.tenant(),
        body.statuses,
        event_id=body.event_id,
        integration_id=body.integration_id,
        ids=body.result_ids,
    )
    await record(
        session,
        principal.actor,
        AuditEntry(
            "sis.results_replayed",
            "sis_results",
            str(body.event_id or body.integration_id or "selection"),
            principal.tenant(),
            {**body.model_dump(mode="json", exclude={"result_ids"}), "requeued": requeued},
        ),
    )
    return requeued


async def queue_stats(session: AsyncSession, principal: Principal) -> dict[str, Any]:
    return await repository.queue_stats(session, principal.tenant())
