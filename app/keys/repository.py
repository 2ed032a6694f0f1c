from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.keys.models import SigningKey


async def active_key(session: AsyncSession, institution_id: uuid.UUID) -> SigningKey | None:
    query = select(SigningKey).where(
        SigningKey.institution_id == institution_id, SigningKey.status == "active"
    )
    return (await session.execute(query)).scalar_one_or_none()


async def keys_of(session: AsyncSession, institution_id: uuid.UUID) -> Sequence[SigningKey]:
    query = (
        select(SigningKey)
        .where(SigningKey.institution_id == institution_id)
        .order_by(SigningKey.created_at.desc(), SigningKey.id)
    )
    return (await session.execute(query)).scalars().all()


async def key_by_kid(
    session: AsyncSession, institution_id: uuid.UUID, kid: str
) -> SigningKey | None:
    query = select(SigningKey).where(
        SigningKey.institution_id == institution_id, SigningKey.kid == kid
    )
    return (await session.execute(query)).scalar_one_or_none()


async def retire_active(session: AsyncSession, institution_id: uuid.UUID) -> None:
    await session.execute(
        update(SigningKey)
        .where(SigningKey.institution_id == institution_id, SigningKey.status == "active")
        .values(status="retired", retired_at=datetime.now(UTC))
    )
