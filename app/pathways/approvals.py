"""The approval queue: satisfied pathways whose stacked achievement asks staff first.

Approving checks the rule again (a component may have gone since it was queued) and issues
the stacked credential in the approving key's name; denying closes the request for good. Both
are audited, and a decided request keeps no learner data.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import AuditEntry, record
from app.auth.principal import Principal
from app.errors import InvalidState, NotFound
from app.pathways import repository
from app.pathways.awarding import issue_stacked, selection_for
from app.pathways.models import PathwayApproval
from app.pathways.outbox import open_learner


async def list_approvals(
    session: AsyncSession,
    principal: Principal,
    *,
    status: str | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> Sequence[PathwayApproval]:
    return await repository.page_approvals(session, principal.tenant(), status, after, limit)


async def _pending(
    session: AsyncSession, principal: Principal, approval_id: uuid.UUID
) -> PathwayApproval:
    approval = await repository.approval_for_update(session, principal.tenant(), approval_id)
    if approval is None:
        raise NotFound("No such approval request.")
    if approval.status != "pending":
        raise InvalidState(f"The request is {approval.status} already.")
    return approval


async def approve(
    session: AsyncSession, principal: Principal, approval_id: uuid.UUID, reason: str | None
) -> PathwayApproval:
    approval = await _pending(session, principal, approval_id)
    found = await repository.facts(session, [approval.achievement_id])
    stacked = found[approval.achievement_id]
    await repository.lock_learner_pathway(session, stacked.id, approval.learner_key)
    if await repository.current_award(session, stacked.id, approval.learner_key) is not None:
        raise InvalidState("The learner holds this stacked credential already.")
    selection = await selection_for(session, stacked, approval.learner_key)
    if selection is None:
        raise InvalidState("The learner's credentials no longer satisfy the pathway.")
    if approval.learner_sealed is None:  # pragma: no cover - a pending request keeps it
        raise InvalidState("The request no longer holds the learner's details.")
    learner = open_learner(approval.id, approval.learner_sealed)
    credential = await issue_stacked(
        session, principal, stacked, approval.learner_key, selection, learner
    )
    _decide(approval, "approved")
    approval.credential_id = credential.id
    approval.component_ids = selection.credential_ids
    approval.ects = selection.ects
    await session.flush()
    await _audit(session, principal, approval, reason)
    return approval


async def deny(
    session: AsyncSession, principal: Principal, approval_id: uuid.UUID, reason: str | None
) -> PathwayApproval:
    approval = await _pending(session, principal, approval_id)
    _decide(approval, "denied")
    await session.flush()
    await _audit(session, principal, approval, reason)
    return approval


def _decide(approval: PathwayApproval, status: str) -> None:
    approval.status = status
    approval.decided_at = datetime.now(UTC)
    approval.learner_sealed = None


async def _audit(
    session: AsyncSession, principal: Principal, approval: PathwayApproval, reason: str | None
) -> None:
    await record(
        session,
        principal.actor,
        AuditEntry(
            f"pathway_approval.{approval.status}",
            "pathway_approval",
            str(approval.id),
            approval.institution_id,
            {
                "achievement_id": str(approval.achievement_id),
                "credential_id": str(approval.credential_id) if approval.credential_id else None,
                "reason": reason,
            },
        ),
    )
