from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import ApiClient


async def find_active_by_key_id(session: AsyncSession, key_id: str) -> ApiClient | None:
    query = select(ApiClient).where(ApiClient.key_id == key_id, ApiClient.revoked_at.is_(None))
    return (await session.execute(query)).scalar_one_or_none()


async def list_for_institution(
    session: AsyncSession, institution_id: uuid.UUID | None
) -> Sequence[ApiClient]:
    query = select(ApiClient).order_by(ApiClient.created_at, ApiClient.id)
    if institution_id is None:
        query = query.where(ApiClient.institution_id.is_(None))
    else:
        query = query.where(ApiClient.institution_id == institution_id)
    return (await session.execute(query)).scalars().all()


async def get_in_institution(
    session: AsyncSession, client_id: uuid.UUID, institution_id: uuid.UUID | None
) -> ApiClient | None:
    query = select(ApiClient).where(ApiClient.id == client_id)
    if institution_id is not None:
        query = query.where(ApiClient.institution_id == institution_id)
    return (await session.execute(query)).scalar_one_or_none()


async def mark_revoked(session: AsyncSession, client_id: uuid.UUID) -> None:
    await session.execute(
        update(ApiClient).where(ApiClient.id == client_id).values(revoked_at=datetime.now(UTC))
    )
