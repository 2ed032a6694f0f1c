"""The audit trail: every change, who made it, and the request it came with."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.context import current_request_id
from app.db.session import json_dumps
from app.db.writes import Write, execute_writes


@dataclass(frozen=True, slots=True)
class AuditEntry:
    action: str
    target_type: str
    target_id: str
    institution_id: uuid.UUID | None
    data: dict[str, Any] = field(default_factory=dict)
    # The request the change came with, when it is not the one being served (group commit).
    request_id: str | None = None


# Entries go as one JSON parameter, so the statement is the same for any number of them and can
# be sent with the other writes of a change (app.db.writes).
_INSERT_ENTRIES = """
    INSERT INTO audit_events
        (institution_id, actor, action, target_type, target_id, request_id, data)
    SELECT e.institution_id, e.actor, e.action, e.target_type, e.target_id, e.request_id,
           COALESCE(e.data, CAST('{}' AS jsonb))
    FROM jsonb_to_recordset(CAST(CAST(:entries AS text) AS jsonb))
        AS e(institution_id uuid, actor text, action text, target_type text, target_id text,
             request_id text, data jsonb)
"""


async def record(session: AsyncSession, actor: str, entry: AuditEntry) -> None:
    await record_many(session, actor, [entry])


async def record_many(session: AsyncSession, actor: str, entries: Sequence[AuditEntry]) -> None:
    await execute_writes(session, [entries_write([(actor, entry) for entry in entries])])


def entries_write(entries: Sequence[tuple[str, AuditEntry]]) -> Write | None:
    """Audit entries, each (actor, entry), as a write to send with the change's other writes;
    none for none."""
    if not entries:
        return None
    request_id = current_request_id()
    rows = [
        {
            "institution_id": str(e.institution_id) if e.institution_id else None,
            "actor": actor,
            "action": e.action,
            "target_type": e.target_type,
            "target_id": e.target_id,
            "request_id": e.request_id or request_id,
            "data": e.data,
        }
        for actor, e in entries
    ]
    return Write(_INSERT_ENTRIES, {"entries": json_dumps(rows)})
