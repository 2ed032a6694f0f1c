"""Accepting what an SIS sends: verify, validate, deduplicate and store — no issuing here.

A signed webhook and a CSV upload both end in :func:`store`, so both are processed alike. The
envelope must be well formed or nothing is stored (4xx). Inside a batch each result is checked on
its own: a bad one is stored with its outcome ``failed`` (``invalid_data``) at once, so that every
result the SIS sent has an outcome and one typo does not hold back a faculty's results.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.config import get_settings
from app.credentials.learners import lookup_digest
from app.errors import (
    BatchTooLarge,
    FieldError,
    MalformedRequest,
    NotFound,
    PayloadTooLarge,
    ValidationFailed,
)
from app.http.text import INVALID_CHARACTERS_DETAIL, pointer_to, sanitised, unstorable_paths
from app.observability import metrics
from app.sis import csv_import, repository
from app.sis.models import Integration
from app.sis.repository import NewEvent
from app.sis.schemas import EVENT_TYPES, CourseResult, Parsed, ResultKind, ResultWithdrawal
from app.sis.service import integration_of
from app.webhooks import signing
from app.webhooks.events import SIS_RESULT_FAILED, emit_many

_RESULT = TypeAdapter(CourseResult)
_WITHDRAWAL = TypeAdapter(ResultWithdrawal)


def subject_key(integration_id: uuid.UUID, student_id: str, course_code: str, term: str) -> str:
    """What SIS issuance is idempotent on; also the credential's idempotency key.

    The student number enters only as an HMAC digest, as everywhere in the database.
    """
    student = lookup_digest("sisSourcedId", student_id.strip())[:40]
    return f"sis:{integration_id}:{student}:{course_code.strip()}:{term.strip()}"


def parse_result(kind: ResultKind, payload: Any) -> CourseResult | ResultWithdrawal:
    return (_WITHDRAWAL if kind == "withdrawn" else _RESULT).validate_python(payload)


def parse_envelope(body: bytes) -> Parsed:
    try:
        envelope = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise MalformedRequest("The body is not JSON.") from exc
    if not isinstance(envelope, dict):
        raise _invalid("#", "the event must be a JSON object", "invalid_event")
    event_type = envelope.get("type")
    if event_type not in EVENT_TYPES:
        raise _invalid("#/type", f"one of {', '.join(sorted(EVENT_TYPES))}", "unknown_event_type")
    data = envelope.get("data")
    if not isinstance(data, dict):
        raise _invalid("#/data", "data must be an object", "invalid_event")
    if event_type != "course_results.batch":
        return Parsed(event_type, EVENT_TYPES[event_type], [data], single=True)
    results = data.get("results")
    if not isinstance(results, list) or not results:
        raise _invalid("#/data/results", "a non-empty list of results", "invalid_event")
    limit = get_settings().sis_max_results_per_event
    if len(results) > limit:
        raise BatchTooLarge(f"An event holds at most {limit} results; this one has {len(results)}.")
    return Parsed(event_type, "recorded", results, single=False)


def _invalid(pointer: str, detail: str, code: str) -> ValidationFailed:
    return ValidationFailed("The event is not valid.", errors=[FieldError(pointer, detail, code)])


def _field_errors(error: ValidationError, prefix: str) -> list[dict[str, Any]]:
    return [
        {
            "pointer": prefix + "".join(f"/{part}" for part in e["loc"]),
            "detail": e["msg"],
        }
        for e in error.errors(include_url=False, include_input=False)
    ]


def _unstorable(payload: Any, prefix: str) -> list[dict[str, Any]]:
    """A field error for each string of ``payload`` that Postgres cannot store (NUL)."""
    return [
        {"pointer": sanitised(prefix + pointer_to(path)[1:]), "detail": INVALID_CHARACTERS_DETAIL}
        for path in unstorable_paths(payload)
    ]


@dataclass(slots=True)
class Rows:
    rows: list[dict[str, Any]] = field(default_factory=list)
    invalid: list[tuple[int, list[dict[str, Any]]]] = field(default_factory=list)


def result_rows(integration_id: uuid.UUID, parsed: Parsed, pointer: str) -> Rows:
    out = Rows()
    for position, payload in enumerate(parsed.payloads):
        row: dict[str, Any] = {"position": position, "kind": parsed.kind, "payload": payload}
        prefix = pointer.format(position=position)
        try:
            errors = _unstorable(payload, prefix)
            if errors:
                # Kept with the characters replaced, so the result still shows what was sent.
                row["payload"] = sanitised(payload)
            else:
                result = parse_result(parsed.kind, payload)
        except ValidationError as error:
            errors = _field_errors(error, prefix)
        if errors:
            out.invalid.append((position, errors))
            summary = "; ".join(f"{e['pointer']}: {e['detail']}" for e in errors)
            row |= {"status": "failed", "reason_code": "invalid_data", "reason": summary}
        else:
            key = subject_key(integration_id, result.student.id, result.course_code, result.term)
            row |= {"status": "pending", "subject_key": key}
        out.rows.append(row)
    return out


@dataclass(frozen=True, slots=True)
class Stored:
    event_id: uuid.UUID
    duplicate: bool
    results: int
    invalid: list[tuple[int, list[dict[str, Any]]]]


async def store(
    session: AsyncSession,
    integration: Integration,
    message_id: str,
    source: str,
    parsed: Parsed,
    rows: Rows,
) -> Stored:
    event = NewEvent(
        integration.institution_id, integration.id, message_id, parsed.event_type, source
    )
    event_id = await repository.insert_event(session, event, rows.rows)
    if event_id is None:  # a concurrent delivery of the same message got there first
        return await _duplicate(session, integration, message_id)
    failed = [
        failed_event_payload(integration.id, event_id, position, reason="invalid_data")
        for position, _ in rows.invalid
    ]
    await emit_many(session, integration.institution_id, SIS_RESULT_FAILED, failed)
    if failed:
        metrics.count_sis_result("failed", len(failed))
    return Stored(event_id, False, len(rows.rows), rows.invalid)


def failed_event_payload(
    integration_id: uuid.UUID,
    event_id: uuid.UUID,
    position: int,
    *,
    reason: str,
    detail: str | None = None,
    result_id: str | None = None,
) -> dict[str, Any]:
    return {
        "integration_id": str(integration_id),
        "event_id": str(event_id),
        "position": position,
        "result_id": result_id,
        "reason_code": reason,
        "reason": detail,
    }


async def _duplicate(session: AsyncSession, integration: Integration, message_id: str) -> Stored:
    existing = await repository.event_by_message_id(session, integration.id, message_id)
    if existing is None:  # pragma: no cover - the unique constraint says it exists
        raise RuntimeError("duplicate message id without its event")
    return Stored(existing.id, True, existing.result_count, [])


async def receive_webhook(
    session: AsyncSession, integration_id: uuid.UUID, body: bytes, headers: Mapping[str, str]
) -> Stored:
    """Verify a Standard Webhooks delivery and store its event (once per ``webhook-id``)."""
    integration = await repository.get_integration(session, None, integration_id)
    if integration is None:
        raise NotFound("No such integration.")
    if len(body) > get_settings().sis_max_event_bytes:
        raise PayloadTooLarge("The event is larger than this service accepts.")
    now = datetime.now(UTC)
    secrets = await repository.live_secrets(session, [integration.id], now)
    plain = [signing.unwrap_secret(s.wrapped, s.id) for s in secrets]
    message_id = signing.verify(body, headers, plain, now)
    seen = await repository.event_by_message_id(session, integration.id, message_id)
    if seen is not None:
        return Stored(seen.id, True, seen.result_count, [])
    parsed = parse_envelope(body)
    rows = result_rows(
        integration.id,
        parsed,
        "#/data" if parsed.single else "#/data/results/{position}",
    )
    if parsed.single and rows.invalid:
        # One result that is not valid is the whole event: refuse it so the SIS sees why.
        raise ValidationFailed(
            "The course result is not valid.",
            errors=[FieldError(e["pointer"], e["detail"]) for e in rows.invalid[0][1]],
        )
    return await store(session, integration, message_id, "webhook", parsed, rows)


async def receive_csv(
    session: AsyncSession,
    principal: Principal,
    integration_id: uuid.UUID,
    body: bytes,
    idempotency_key: str | None,
) -> Stored:
    """Store an uploaded CSV of course results as the batch event a webhook would carry."""
    integration = await integration_of(session, principal, integration_id)
    parsed = csv_import.parse_csv(body)
    rows = result_rows(integration.id, parsed, "#/rows/{position}")
    message_id = csv_import.message_id_for(body, idempotency_key)
    return await store(session, integration, message_id, "csv", parsed, rows)
