"""The queries of credential requests and accepted external credentials."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.achievements.models import Achievement, AchievementVersion
from app.db.keyset import after_keyset
from app.learner_requests.models import CredentialRequest, ExternalCredential


async def external_by_document(
    session: AsyncSession, institution_id: uuid.UUID, document_id: str
) -> ExternalCredential | None:
    query = select(ExternalCredential).where(
        ExternalCredential.institution_id == institution_id,
        ExternalCredential.document_id == document_id,
    )
    return (await session.execute(query)).scalar_one_or_none()


async def insert_external(session: AsyncSession, values: dict[str, Any]) -> uuid.UUID | None:
    """The new row's id; None when the institution accepted this credential before."""
    query = (
        insert(ExternalCredential)
        .values(id=uuid.uuid4(), **values)
        .on_conflict_do_nothing(index_elements=["institution_id", "document_id"])
        .returning(ExternalCredential.id)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def externals(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, ExternalCredential]:
    if not ids:
        return {}
    query = select(ExternalCredential).where(ExternalCredential.id.in_(list(ids)))
    return {e.id: e for e in (await session.execute(query)).scalars()}


async def external_of(
    session: AsyncSession, request: CredentialRequest
) -> ExternalCredential | None:
    if request.external_credential_id is None:
        return None
    return await session.get(ExternalCredential, request.external_credential_id)


async def page(
    session: AsyncSession,
    institution_id: uuid.UUID,
    status: str | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> Sequence[CredentialRequest]:
    query = select(CredentialRequest).where(CredentialRequest.institution_id == institution_id)
    if status is not None:
        query = query.where(CredentialRequest.status == status)
    query = after_keyset(query, CredentialRequest.created_at, CredentialRequest.id, after, limit)
    return (await session.execute(query)).scalars().all()


async def get(
    session: AsyncSession, institution_id: uuid.UUID, request_id: uuid.UUID, *, lock: bool = False
) -> CredentialRequest | None:
    query = select(CredentialRequest).where(
        CredentialRequest.id == request_id, CredentialRequest.institution_id == institution_id
    )
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def requestable(
    session: AsyncSession, institution_id: uuid.UUID
) -> Sequence[tuple[uuid.UUID, str]]:
    """The institution's published achievements a learner may ask for: id and current title."""
    query = (
        select(Achievement.id, AchievementVersion.title)
        .join(
            AchievementVersion,
            (AchievementVersion.achievement_id == Achievement.id)
            & (AchievementVersion.version == Achievement.current_version),
        )
        .where(Achievement.institution_id == institution_id, Achievement.state == "published")
        .order_by(AchievementVersion.title, Achievement.id)
    )
    return [(row.id, row.title) for row in await session.execute(query)]
