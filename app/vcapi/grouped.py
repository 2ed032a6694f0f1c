"""The VC-API's issue under group commit: each request of a group in a savepoint of its own."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.context import request_id_var
from app.credentials.models import Credential
from app.errors import DomainError
from app.group_commit.coalescing import GroupCommit, Queued
from app.sharing.service import IssuedClaim
from app.vcapi import service

Issued = tuple[Credential, IssuedClaim]
DocumentIssuance = GroupCommit[dict[str, Any], Issued]


async def issue_group(
    session: AsyncSession, group: Sequence[Queued[dict[str, Any]]]
) -> list[Issued | Exception]:
    results: list[Issued | Exception] = []
    for queued in group:
        # The audit entry names the request the credential came with.
        token = request_id_var.set(queued.request_id)
        try:
            # A refused request leaves nothing behind, whatever it wrote before it was refused.
            async with session.begin_nested():
                results.append(await service.issue_document(session, queued.principal, queued.item))
        except DomainError as error:
            results.append(error)
        finally:
            request_id_var.reset(token)
    return results
