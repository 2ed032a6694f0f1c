from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.credentials.models import Credential
from app.sharing.models import ClaimLink

_INSERT_LINKS = insert(cast(Table, ClaimLink.__table__))


async def insert_links(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await session.execute(_INSERT_LINKS, list(rows))


async def replace_current(session: AsyncSession, credential_id: uuid.UUID, now: datetime) -> None:
    await session.execute(
        update(ClaimLink)
        .where(ClaimLink.credential_id == credential_id, ClaimLink.replaced_at.is_(None))
        .values(replaced_at=now)
    )


async def link_with_credential(
    session: AsyncSession, key_id: str, *, for_update: bool = False
) -> tuple[ClaimLink, Credential] | None:
    query = (
        select(ClaimLink, Credential)
        .join(Credential, Credential.id == ClaimLink.credential_id)
        .where(ClaimLink.key_id == key_id)
    )
    if for_update:
        # The credential row, as status changes lock it: a publish and a revocation of the same
        # credential happen one after the other.
        query = query.with_for_update(of=Credential)
    row = (await session.execute(query)).one_or_none()
    return (row[0], row[1]) if row else None


async def by_public_id(session: AsyncSession, public_id: str) -> Credential | None:
    query = select(Credential).where(Credential.public_id == public_id)
    return (await session.execute(query)).scalar_one_or_none()


async def set_publication(
    session: AsyncSession, credential: Credential, public_id: str | None, at: datetime | None
) -> None:
    await session.execute(
        update(Credential)
        .where(Credential.id == credential.id)
        .values(public_id=public_id, published_at=at)
    )
    credential.public_id, credential.published_at = public_id, at
