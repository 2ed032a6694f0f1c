"""REST faces of the SIS intake: managing integrations, receiving events, reading outcomes."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response, status

from app.auth.dependencies import IntegrationManager
from app.config import get_settings
from app.db.session import DbSession
from app.errors import PayloadTooLarge, UnsupportedMediaType
from app.http.strings import mark_own_string_checks
from app.pagination import (
    Cursor,
    Limit,
    Page,
    decode_int_cursor,
    decode_keyset_cursor,
    encode_cursor,
    next_keyset_cursor,
)
from app.request_bodies import read_within
from app.responses import AUTHENTICATED, problems
from app.schemas_common import ShortText, fits
from app.sis import intake, service
from app.sis.csv_import import KEY_PREFIX
from app.sis.models import CourseMapping, SisEvent, SisResult
from app.sis.repository import ResultFilter
from app.sis.schemas import (
    CourseMappingIn,
    CourseMappingOut,
    EventAccepted,
    EventOut,
    IntegrationCreate,
    IntegrationCreated,
    IntegrationOut,
    IntegrationUpdate,
    InvalidResult,
    OutcomeCounts,
    PassRule,
    QueueStats,
    Replay,
    Replayed,
    ResultOut,
    ResultStatus,
    SecretOut,
    SecretRotate,
    SecretRotated,
)
from app.sis.service import IntegrationView, intake_url

# The key becomes the event's message id, behind a prefix.
ImportKey = Annotated[ShortText, fits(SisEvent.message_id, reserve=len(KEY_PREFIX))]

integrations_router = APIRouter(prefix="/v1/integrations", tags=["sis integrations"])
intake_router = APIRouter(prefix="/v1/sis", tags=["sis intake"])

_ACCEPTED_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": EventAccepted, "description": "Accepted before (same message id): no change"},
}


def _integration_out(view: IntegrationView) -> dict[str, Any]:
    integration = view.integration
    return {
        "id": integration.id,
        "name": integration.name,
        "intake_url": intake_url(integration.id),
        "secrets": [SecretOut.model_validate(s, from_attributes=True) for s in view.secrets],
        "created_at": integration.created_at,
    }


@integrations_router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=problems(*AUTHENTICATED),
    summary="Connect a student information system; its signing secret is shown once",
)
async def create_integration(
    body: IntegrationCreate, session: DbSession, principal: IntegrationManager
) -> IntegrationCreated:
    view, secret = await service.create_integration(session, principal, body.name)
    return IntegrationCreated(**_integration_out(view), secret=secret)


@integrations_router.get("", responses=problems(*AUTHENTICATED))
async def list_integrations(
    session: DbSession, principal: IntegrationManager
) -> list[IntegrationOut]:
    views = await service.list_integrations(session, principal)
    return [IntegrationOut(**_integration_out(v)) for v in views]


@integrations_router.get("/{integration_id}", responses=problems(*AUTHENTICATED, 404))
async def get_integration(
    integration_id: uuid.UUID, session: DbSession, principal: IntegrationManager
) -> IntegrationOut:
    view = await service.get_integration(session, principal, integration_id)
    return IntegrationOut(**_integration_out(view))


@integrations_router.patch("/{integration_id}", responses=problems(*AUTHENTICATED, 404))
async def update_integration(
    integration_id: uuid.UUID,
    body: IntegrationUpdate,
    session: DbSession,
    principal: IntegrationManager,
) -> IntegrationOut:
    view = await service.rename_integration(session, principal, integration_id, body.name)
    return IntegrationOut(**_integration_out(view))


@integrations_router.post(
    "/{integration_id}/secrets",
    status_code=status.HTTP_201_CREATED,
    responses=problems(*AUTHENTICATED, 404),
    summary="Rotate the signing secret; the old one keeps verifying during the overlap",
)
async def rotate_secret(
    integration_id: uuid.UUID,
    body: SecretRotate,
    session: DbSession,
    principal: IntegrationManager,
) -> SecretRotated:
    view, secret = await service.rotate_secret(
        session, principal, integration_id, body.overlap_seconds
    )
    return SecretRotated(secret=secret, secrets=_integration_out(view)["secrets"])


def _mapping_out(mapping: CourseMapping) -> CourseMappingOut:
    return CourseMappingOut(
        id=mapping.id,
        course_code=mapping.course_code,
        term=mapping.term,
        achievement_id=mapping.achievement_id,
        pass_rule=PassRule.model_construct(
            threshold=mapping.pass_threshold, pass_values=list(mapping.pass_values)
        ),
        created_at=mapping.created_at,
        updated_at=mapping.updated_at,
    )


@integrations_router.get(
    "/{integration_id}/course-mappings", responses=problems(*AUTHENTICATED, 404)
)
async def list_mappings(
    integration_id: uuid.UUID, session: DbSession, principal: IntegrationManager
) -> list[CourseMappingOut]:
    mappings = await service.list_mappings(session, principal, integration_id)
    return [_mapping_out(m) for m in mappings]


@integrations_router.post(
    "/{integration_id}/course-mappings",
    status_code=status.HTTP_201_CREATED,
    responses=problems(*AUTHENTICATED, 404, 409),
    summary="Map an SIS course code (optionally for one term) to an achievement",
)
async def create_mapping(
    integration_id: uuid.UUID,
    body: CourseMappingIn,
    session: DbSession,
    principal: IntegrationManager,
) -> CourseMappingOut:
    return _mapping_out(await service.create_mapping(session, principal, integration_id, body))


@integrations_router.put(
    "/{integration_id}/course-mappings/{mapping_id}",
    responses=problems(*AUTHENTICATED, 404, 409),
)
async def replace_mapping(
    integration_id: uuid.UUID,
    mapping_id: uuid.UUID,
    body: CourseMappingIn,
    session: DbSession,
    principal: IntegrationManager,
) -> CourseMappingOut:
    mapping = await service.replace_mapping(session, principal, integration_id, mapping_id, body)
    return _mapping_out(mapping)


@integrations_router.delete(
    "/{integration_id}/course-mappings/{mapping_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems(*AUTHENTICATED, 404),
)
async def delete_mapping(
    integration_id: uuid.UUID,
    mapping_id: uuid.UUID,
    session: DbSession,
    principal: IntegrationManager,
) -> None:
    await service.delete_mapping(session, principal, integration_id, mapping_id)


def _accepted(stored: intake.Stored, response: Response) -> EventAccepted:
    response.status_code = status.HTTP_200_OK if stored.duplicate else status.HTTP_202_ACCEPTED
    return EventAccepted(
        event_id=stored.event_id,
        duplicate=stored.duplicate,
        results=stored.results,
        invalid=[InvalidResult(position=p, errors=e) for p, e in stored.invalid],
    )


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def _body_within_limit(request: Request) -> bytes:
    """The raw body, refused (413) as soon as it is known to exceed the intake's own limit."""
    limit = get_settings().sis_max_event_bytes
    return await read_within(
        request, limit, PayloadTooLarge(f"The body is larger than {limit} bytes.")
    )


CSV_BODY = {
    "requestBody": {
        "required": True,
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}


@integrations_router.post(
    "/{integration_id}/imports",
    status_code=status.HTTP_202_ACCEPTED,
    responses={**_ACCEPTED_RESPONSES, **problems(*AUTHENTICATED, 404, 409, 413, 415)},
    openapi_extra=CSV_BODY,
    summary="Import course results from CSV; processed exactly like a webhook batch",
)
async def import_csv(
    integration_id: uuid.UUID,
    request: Request,
    response: Response,
    session: DbSession,
    principal: IntegrationManager,
    idempotency_key: Annotated[ImportKey | None, Header()] = None,
) -> EventAccepted:
    if _media_type(request) not in ("text/csv", "application/csv"):
        raise UnsupportedMediaType("Send the course results as text/csv.")
    body = await _body_within_limit(request)
    stored = await intake.receive_csv(session, principal, integration_id, body, idempotency_key)
    return _accepted(stored, response)


EVENT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["type", "data"],
                    "additionalProperties": False,
                    "properties": {
                        "type": {
                            "enum": [
                                "course_result.recorded",
                                "course_results.batch",
                                "course_result.corrected",
                                "course_result.withdrawn",
                            ]
                        },
                        "timestamp": {"type": "string"},
                        "data": {"type": "object"},
                    },
                }
            }
        },
    }
}


@intake_router.post(
    "/{integration_id}/events",
    status_code=status.HTTP_202_ACCEPTED,
    responses={
        **_ACCEPTED_RESPONSES,
        401: problems(401)[401] | {"description": "Missing or invalid signature, stale timestamp"},
        409: problems(409)[409]
        | {"description": "This webhook-id was accepted before with another body"},
        **problems(400, 404, 413, 415, 422),
    },
    openapi_extra=EVENT_BODY,
    summary="Receive an SIS event signed with Standard Webhooks; stored before the answer",
)
async def receive_event(
    integration_id: uuid.UUID, request: Request, response: Response, session: DbSession
) -> EventAccepted:
    if _media_type(request) != "application/json":
        raise UnsupportedMediaType("Send the event as application/json.")
    body = await _body_within_limit(request)
    stored = await intake.receive_webhook(session, integration_id, body, request.headers)
    return _accepted(stored, response)


# A result holding a string that cannot be stored fails alone, not the batch (see intake).
mark_own_string_checks(intake_router.routes, "/v1/sis/{integration_id}/events")


def _event_out(event: SisEvent, counts: dict[str, int]) -> EventOut:
    return EventOut(
        id=event.id,
        integration_id=event.integration_id,
        message_id=event.message_id,
        event_type=event.event_type,
        source=event.source,
        received_at=event.received_at,
        result_count=event.result_count,
        counts=OutcomeCounts(**counts),
    )


@intake_router.get("/events", responses=problems(*AUTHENTICATED, 400))
async def list_events(
    session: DbSession,
    principal: IntegrationManager,
    integration_id: uuid.UUID | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[EventOut]:
    found = await service.list_events(
        session, principal, integration_id, decode_keyset_cursor(cursor), limit + 1
    )
    items = [_event_out(e, c) for e, c in found[:limit]]
    next_cursor = next_keyset_cursor(found, limit, lambda e: (e[0].received_at, e[0].id))
    return Page[EventOut](items=items, next_cursor=next_cursor)


@intake_router.get(
    "/events/{event_id}",
    responses=problems(*AUTHENTICATED, 404),
    summary="An event with the count of its results by outcome",
)
async def get_event(
    event_id: uuid.UUID, session: DbSession, principal: IntegrationManager
) -> EventOut:
    event, counts = await service.get_event(session, principal, event_id)
    return _event_out(event, counts)


def _result_out(result: SisResult) -> ResultOut:
    payload = result.payload if isinstance(result.payload, dict) else {}

    def text_field(name: str) -> str | None:
        value = payload.get(name)
        return value if isinstance(value, str) else None

    return ResultOut(
        id=result.id,
        event_id=result.event_id,
        integration_id=result.integration_id,
        position=result.position,
        kind=result.kind,
        status=result.status,
        reason_code=result.reason_code,
        reason=result.reason,
        credential_id=result.credential_id,
        attempts=result.attempts,
        course_code=text_field("course_code"),
        term=text_field("term"),
        result_id=text_field("result_id"),
        created_at=result.created_at,
        processed_at=result.processed_at,
    )


@intake_router.get(
    "/results",
    responses=problems(*AUTHENTICATED, 400),
    summary="Results with their outcomes, oldest first; filter by status, event or integration",
)
async def list_results(
    session: DbSession,
    principal: IntegrationManager,
    status_: Annotated[ResultStatus | None, Query(alias="status")] = None,
    event_id: uuid.UUID | None = None,
    integration_id: uuid.UUID | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[ResultOut]:
    after = decode_int_cursor(cursor) if cursor else None
    where = ResultFilter(status_, event_id, integration_id)
    found = await service.list_results(session, principal, where, after, limit + 1)
    items = [_result_out(r) for r in found[:limit]]
    next_cursor = encode_cursor(str(found[limit - 1].id)) if len(found) > limit else None
    return Page[ResultOut](items=items, next_cursor=next_cursor)


@intake_router.post(
    "/results/replay",
    responses=problems(*AUTHENTICATED),
    summary="Queue failed or dead-lettered results again, e.g. after fixing a course mapping",
)
async def replay_results(
    body: Replay, session: DbSession, principal: IntegrationManager
) -> Replayed:
    return Replayed(requeued=await service.replay(session, principal, body))


@intake_router.get(
    "/queue",
    responses=problems(*AUTHENTICATED),
    summary="Queue depth, age of the oldest waiting result, and outcome counters",
)
async def queue(session: DbSession, principal: IntegrationManager) -> QueueStats:
    stats = await service.queue_stats(session, principal)
    return QueueStats(**{**stats, "outcomes": OutcomeCounts(**stats["outcomes"])})
