from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.audit import repository
from app.audit.schemas import AuditEventOut
from app.auth.dependencies import InstitutionAdmin
from app.db.session import DbSession
from app.pagination import Cursor, Limit, Page, decode_int_cursor, encode_cursor
from app.responses import AUTHENTICATED, problems

router = APIRouter(prefix="/v1/audit-events", tags=["audit"])


@router.get("", responses=problems(*AUTHENTICATED), summary="The institution's audit trail")
async def list_audit_events(
    session: DbSession,
    principal: InstitutionAdmin,
    limit: Limit = 50,
    cursor: Cursor = None,
    action: Annotated[str | None, Query(max_length=100)] = None,
    target_id: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[AuditEventOut]:
    before = decode_int_cursor(cursor) if cursor else None
    events = await repository.page_for_institution(
        session,
        principal.tenant(),
        before_id=before,
        limit=limit + 1,
        action=action,
        target_id=target_id,
    )
    items = [AuditEventOut.model_validate(e) for e in events[:limit]]
    next_cursor = encode_cursor(str(items[-1].id)) if len(events) > limit else None
    return Page[AuditEventOut](items=items, next_cursor=next_cursor)
