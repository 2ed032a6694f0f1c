"""``POST /v1/credentials`` under group commit: a group of single issuances is one batch, of
whichever clients sent them."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from app.credentials import service
from app.credentials.schemas import CredentialIssue
from app.group_commit.coalescing import GroupCommit, Queued

SingleIssuance = GroupCommit[CredentialIssue, service.Issued]


async def issue_group(
    session: AsyncSession, group: Sequence[Queued[CredentialIssue]]
) -> list[service.Issued | Exception]:
    outcomes = await service.issue_orders(
        session,
        [
            service.Order(queued.principal, queued.item, queued.key, queued.request_id)
            for queued in group
        ],
    )
    return [outcome.error or service.issued_from(outcome) for outcome in outcomes]
