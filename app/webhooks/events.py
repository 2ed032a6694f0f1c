"""The outbox: events written in the transaction of the change they report.

Each event becomes one ``webhook_deliveries`` row per enabled endpoint of the institution that
subscribed to its type, in a single statement; with no subscriber nothing is written. The worker
delivers the rows after the transaction commits, so an event is sent if and only if its change
happened.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession

from app.db.writes import Write, execute_writes, rows_param

CREDENTIAL_ISSUED: Final = "credential.issued"
CREDENTIAL_REVOKED: Final = "credential.revoked"
CREDENTIAL_SUSPENDED: Final = "credential.suspended"
CREDENTIAL_REINSTATED: Final = "credential.reinstated"
SIS_RESULT_FAILED: Final = "sis.result_failed"
REQUEST_CREATED: Final = "request.created"
REQUEST_APPROVED: Final = "request.approved"
REQUEST_DENIED: Final = "request.denied"
EVENT_TYPES: Final = (
    CREDENTIAL_ISSUED,
    CREDENTIAL_REVOKED,
    CREDENTIAL_SUSPENDED,
    CREDENTIAL_REINSTATED,
    SIS_RESULT_FAILED,
    REQUEST_CREATED,
    REQUEST_APPROVED,
    REQUEST_DENIED,
)

# One row per event and enabled endpoint of its institution subscribed to the type; none
# without one.
_FAN_OUT = """
    INSERT INTO webhook_deliveries
        (id, endpoint_id, institution_id, event_type, payload, status, attempts)
    SELECT gen_random_uuid(), e.id, e.institution_id, CAST(:event_type AS text), m.value,
           'pending', 0
    FROM jsonb_to_recordset(CAST(CAST(:events AS text) AS jsonb))
        AS m(institution_id uuid, value jsonb)
    JOIN webhook_endpoints AS e ON e.institution_id = m.institution_id
    WHERE e.enabled AND CAST(:event_type AS text) = ANY(e.event_types)
"""
_ANNOUNCEMENT = "webhooks"


def message(
    event_type: str, data: dict[str, Any], moment: datetime | None = None
) -> dict[str, Any]:
    """The body receivers get, in the Standard Webhooks payload shape."""
    return {
        "type": event_type,
        "timestamp": (moment or datetime.now(UTC)).isoformat(),
        "data": data,
    }


async def emit_many(
    session: AsyncSession,
    institution_id: uuid.UUID,
    event_type: str,
    data: Sequence[dict[str, Any]],
) -> None:
    await execute_writes(session, [events_write(event_type, [(institution_id, d) for d in data])])


def events_write(
    event_type: str, events: Sequence[tuple[uuid.UUID, dict[str, Any]]]
) -> Write | None:
    """Events, each (institution, data), as a write to send with the change's other writes;
    none for no events."""
    if not events:
        return None
    now = datetime.now(UTC)
    rows = [
        {"institution_id": institution_id, "value": message(event_type, data, now)}
        for institution_id, data in events
    ]
    return Write(
        _FAN_OUT,
        {"event_type": event_type, "events": rows_param(rows)},
        notify=_ANNOUNCEMENT,
    )


def credential_data(
    credential_id: uuid.UUID,
    document_id: str,
    achievement_id: uuid.UUID | None,
    state: str,
    reason_code: str | None = None,
) -> dict[str, Any]:
    """What a credential event says: ids and state, never the learner or the signed token."""
    return {
        "id": str(credential_id),
        "credential_id": document_id,
        "achievement_id": str(achievement_id) if achievement_id else None,
        "state": state,
        "reason_code": reason_code,
    }
