"""``POST /v1/credentials`` under group commit: a group of single issuances is one batch."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.credentials import service
from app.credentials.schemas import CredentialIssue
from app.group_commit.lanes import GroupCommit, Queued

SingleIssuance = GroupCommit[CredentialIssue, service.Issued]


async def issue_group(
    session: AsyncSession, principal: Principal, group: Sequence[Queued[CredentialIssue]]
) -> list[service.Issued | Exception]:
    outcomes = await service.issue_many(
        session,
        principal,
        [(queued.item, queued.key) for queued in group],
        [queued.request_id for queued in group],
    )
    return [outcome.error or service.issued_from(outcome) for outcome in outcomes]
