"""Accepting what an SIS sends: verify, validate, deduplicate and store — no issuing here.

A signed webhook and a CSV upload both end in :func:`store`, so both are processed alike. The
envelope must be well formed or nothing is stored (4xx). Inside a batch each result is checked on
its own: a bad one is stored with its outcome ``failed`` (``invalid_data``) at once, so that every
result the SIS sent has an outcome and one typo does not hold back a faculty's results.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
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
    Conflict,
    FieldError,
    IdempotencyKeyReused,
    InvalidSignature,
    MalformedRequest,
    NotFound,
    StaleTimestamp,
    ValidationFailed,
    WebhookIdReused,
)
from app.http.text import INVALID_CHARACTERS_DETAIL, pointer_to, sanitised, unstorable_paths
from app.observability import metrics
from app.sis import csv_import, repository
from app.sis.models import Integration, SisEvent
from app.sis.repository import NewEvent
from app.sis.schemas import EVENT_TYPES, CourseResult, Parsed, ResultKind, ResultWithdrawal
from app.sis.service import integration_of
from app.webhooks import signing
from app.webhooks.events import SIS_RESULT_FAILED, emit_many

logger = logging.getLogger(__name__)

_RESULT = TypeAdapter(CourseResult)
_WITHDRAWAL = TypeAdapter(ResultWithdrawal)
# The Standard Webhooks payload structure; anything else at the top is refused rather than
# carried along unread, so that a sender's mistake (or padding) is seen at once.
ENVELOPE_MEMBERS = frozenset({"type", "timestamp", "data"})
BATCH_DATA_MEMBERS = frozenset({"results"})


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
    _refuse_unknown_members(envelope, ENVELOPE_MEMBERS, "#")
    if not isinstance(envelope.get("timestamp", ""), str):
        raise _invalid("#/timestamp", "the timestamp must be a string", "invalid_event")
    event_type = envelope.get("type")
    if event_type not in EVENT_TYPES:
        raise _invalid("#/type", f"one of {', '.join(sorted(EVENT_TYPES))}", "unknown_event_type")
    data = envelope.get("data")
    if not isinstance(data, dict):
        raise _invalid("#/data", "data must be an object", "invalid_event")
    if event_type != "course_results.batch":
        return Parsed(event_type, EVENT_TYPES[event_type], [data], single=True)
    _refuse_unknown_members(data, BATCH_DATA_MEMBERS, "#/data")
    results = data.get("results")
    if not isinstance(results, list) or not results:
        raise _invalid("#/data/results", "a non-empty list of results", "invalid_event")
    limit = get_settings().sis_max_results_per_event
    if len(results) > limit:
        raise BatchTooLarge(f"An event holds at most {limit} results; this one has {len(results)}.")
    return Parsed(event_type, "recorded", results, single=False)


def _refuse_unknown_members(found: dict[str, Any], known: frozenset[str], pointer: str) -> None:
    unknown = sorted(name for name in found if name not in known)
    if unknown:
        raise ValidationFailed(
            "The event is not valid.",
            errors=[
                FieldError(f"{pointer}/{_escaped(name)}", "unknown member", "unknown_member")
                for name in unknown[:20]
            ],
        )


def _escaped(name: str) -> str:
    """A member name as a JSON Pointer reference token (RFC 6901)."""
    return name.replace("~", "~0").replace("/", "~1")


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


@dataclass(frozen=True, slots=True)
class Delivery:
    """One message as received: under which id, from where, and the digest of its body."""

    message_id: str
    source: str
    body_sha256: bytes

    @classmethod
    def of(cls, message_id: str, source: str, body: bytes) -> Delivery:
        return cls(message_id, source, hashlib.sha256(body).digest())


async def store(
    session: AsyncSession,
    integration: Integration,
    delivery: Delivery,
    parsed: Parsed,
    rows: Rows,
) -> Stored:
    event = NewEvent(
        integration.institution_id,
        integration.id,
        delivery.message_id,
        parsed.event_type,
        delivery.source,
        delivery.body_sha256,
    )
    event_id = await repository.insert_event(session, event, rows.rows)
    if event_id is None:  # a concurrent delivery of the same message got there first
        return await _duplicate(session, integration, delivery)
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


async def _duplicate(session: AsyncSession, integration: Integration, delivery: Delivery) -> Stored:
    existing = await repository.event_by_message_id(session, integration.id, delivery.message_id)
    if existing is None:  # pragma: no cover - the unique constraint says it exists
        raise RuntimeError("duplicate message id without its event")
    return _retried(existing, delivery)


def _retried(existing: SisEvent, delivery: Delivery) -> Stored:
    """A message id seen before: a retry of the same body is answered as a duplicate; another
    body under it is refused, counted and logged (without the body), never dropped silently.

    Events stored before bodies were digested cannot be told apart and count as retries.
    """
    known = existing.body_sha256
    if known is None or hmac.compare_digest(known, delivery.body_sha256):
        return Stored(existing.id, True, existing.result_count, [])
    metrics.count_sis_message_id_reused(delivery.source)
    logger.warning(
        "refused a %s delivery to integration %s: message id %r was accepted before (event %s) "
        "with another body",
        delivery.source,
        existing.integration_id,
        delivery.message_id,
        existing.id,
    )
    webhook = delivery.source == "webhook"
    error: type[Conflict] = WebhookIdReused if webhook else IdempotencyKeyReused
    raise error(
        "This message id was accepted before with another body; a retry must resend the same "
        "body, and a new message needs a new id."
    )


async def receive_webhook(
    session: AsyncSession, integration_id: uuid.UUID, body: bytes, headers: Mapping[str, str]
) -> Stored:
    """Verify a Standard Webhooks delivery and store its event (once per ``webhook-id``).

    ``body`` was read within ``STAPEL_SIS_MAX_EVENT_BYTES`` by the router.
    """
    integration = await repository.get_integration(session, None, integration_id)
    if integration is None:
        raise NotFound("No such integration.")
    now = datetime.now(UTC)
    secrets = await repository.live_secrets(session, [integration.id], now)
    plain = [signing.unwrap_secret(s.wrapped, s.id) for s in secrets]
    try:
        message_id = signing.verify(body, headers, plain, now)
    except InvalidSignature as refused:
        _log_refusal(integration.id, refused, len(plain))
        raise
    delivery = Delivery.of(message_id, "webhook", body)
    seen = await repository.event_by_message_id(session, integration.id, delivery.message_id)
    if seen is not None:
        return _retried(seen, delivery)
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
    return await store(session, integration, delivery, parsed, rows)


def _log_refusal(integration_id: uuid.UUID, refused: InvalidSignature, secrets: int) -> None:
    """Why a delivery's signature was refused: a short reason, never a secret, signature or
    body. How far off a refused timestamp is tells a wrong clock from a replay; how many secrets
    a signature was checked with, a stale secret from a rotation."""
    if isinstance(refused, StaleTimestamp):
        context = f" ({refused.off_by_seconds:+d} s from this server's clock)"
    elif refused.reason == "signature_mismatch":
        context = f" ({secrets} current secret{'' if secrets == 1 else 's'} tried)"
    else:
        context = ""
    logger.warning(
        "refused a webhook delivery to integration %s: %s%s",
        integration_id,
        refused.reason,
        context,
    )


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
    delivery = Delivery.of(csv_import.message_id_for(body, idempotency_key), "csv", body)
    return await store(session, integration, delivery, parsed, rows)
