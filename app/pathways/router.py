"""``/v1/pathway-approvals``: the stacked credentials waiting for staff."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from app.auth.dependencies import CredentialIssuer
from app.db.session import DbSession
from app.pagination import Cursor, Limit, Page, decode_keyset_cursor, next_keyset_cursor
from app.pathways import approvals
from app.pathways.schemas import ApprovalDecision, ApprovalOut
from app.responses import AUTHENTICATED, problems

router = APIRouter(prefix="/v1/pathway-approvals", tags=["pathways"])


@router.get("", responses=problems(*AUTHENTICATED, 400))
async def list_approvals(
    session: DbSession,
    principal: CredentialIssuer,
    status: Annotated[Literal["pending", "approved", "denied"] | None, Query()] = "pending",
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[ApprovalOut]:
    items = await approvals.list_approvals(
        session, principal, status=status, after=decode_keyset_cursor(cursor), limit=limit + 1
    )
    page = [ApprovalOut.model_validate(i) for i in items[:limit]]
    return Page[ApprovalOut](
        items=page, next_cursor=next_keyset_cursor(items, limit, lambda i: (i.created_at, i.id))
    )


@router.post("/{approval_id}/approve", responses=problems(*AUTHENTICATED, 400, 404, 409))
async def approve(
    approval_id: uuid.UUID,
    session: DbSession,
    principal: CredentialIssuer,
    body: ApprovalDecision | None = None,
) -> ApprovalOut:
    """Check the rule again and issue the stacked credential in this key's name."""
    reason = body.reason if body else None
    return ApprovalOut.model_validate(
        await approvals.approve(session, principal, approval_id, reason)
    )


@router.post("/{approval_id}/deny", responses=problems(*AUTHENTICATED, 400, 404, 409))
async def deny(
    approval_id: uuid.UUID,
    session: DbSession,
    principal: CredentialIssuer,
    body: ApprovalDecision | None = None,
) -> ApprovalOut:
    """Close the request; the engine does not ask for this learner and achievement again."""
    reason = body.reason if body else None
    return ApprovalOut.model_validate(await approvals.deny(session, principal, approval_id, reason))
