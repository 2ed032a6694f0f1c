from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.recognition.models import Recognition


async def list_for(session: AsyncSession, institution_id: uuid.UUID) -> Sequence[Recognition]:
    query = (
        select(Recognition)
        .where(Recognition.institution_id == institution_id)
        .order_by(Recognition.issuer_did)
    )
    return (await session.execute(query)).scalars().all()


async def get(
    session: AsyncSession, institution_id: uuid.UUID, recognition_id: uuid.UUID
) -> Recognition | None:
    query = select(Recognition).where(
        Recognition.id == recognition_id, Recognition.institution_id == institution_id
    )
    return (await session.execute(query)).scalar_one_or_none()


async def for_issuer(
    session: AsyncSession, institution_id: uuid.UUID, issuer_did: str
) -> Recognition | None:
    query = select(Recognition).where(
        Recognition.institution_id == institution_id, Recognition.issuer_did == issuer_did
    )
    return (await session.execute(query)).scalar_one_or_none()
