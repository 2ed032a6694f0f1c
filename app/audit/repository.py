from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent


async def page_for_institution(
    session: AsyncSession,
    institution_id: uuid.UUID,
    *,
    before_id: int | None,
    limit: int,
    action: str | None,
    target_id: str | None,
) -> Sequence[AuditEvent]:
    query = (
        select(AuditEvent)
        .where(AuditEvent.institution_id == institution_id)
        .order_by(AuditEvent.id.desc())
        .limit(limit)
    )
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    if target_id is not None:
        query = query.where(AuditEvent.target_id == target_id)
    return (await session.execute(query)).scalars().all()
