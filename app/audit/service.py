"""The audit trail: every change, who made it, and the request it came with."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent
from app.context import current_request_id


@dataclass(frozen=True, slots=True)
class AuditEntry:
    action: str
    target_type: str
    target_id: str
    institution_id: uuid.UUID | None
    data: dict[str, Any] = field(default_factory=dict)
    # The request the change came with, when it is not the one being served (group commit).
    request_id: str | None = None


# A Core insert into the table: the ORM's bulk insert of the entity keeps per-row bookkeeping
# for objects nobody reads back, a measurable share of issuing one credential.
_INSERT_EVENTS = insert(cast(Table, AuditEvent.__table__))


async def record(session: AsyncSession, actor: str, entry: AuditEntry) -> None:
    await record_many(session, actor, [entry])


async def record_many(session: AsyncSession, actor: str, entries: Sequence[AuditEntry]) -> None:
    if not entries:
        return
    request_id = current_request_id()
    await session.execute(
        _INSERT_EVENTS,
        [
            {
                "institution_id": e.institution_id,
                "actor": actor,
                "action": e.action,
                "target_type": e.target_type,
                "target_id": e.target_id,
                "request_id": e.request_id or request_id,
                "data": e.data,
            }
            for e in entries
        ],
    )
