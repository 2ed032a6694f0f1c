from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.status_lists.models import StatusList, StatusListPublication


async def lock_institution_lists(session: AsyncSession, institution_id: uuid.UUID) -> None:
    """Serialise list creation per institution for the rest of the transaction."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"status-lists:{institution_id}"},
    )


async def open_list_ids(session: AsyncSession, institution_id: uuid.UUID) -> list[uuid.UUID]:
    query = (
        select(StatusList.id)
        .where(StatusList.institution_id == institution_id, StatusList.allocated < StatusList.size)
        .order_by(StatusList.created_at, StatusList.id)
    )
    return list((await session.execute(query)).scalars())


_CLAIM = text(
    """
    UPDATE status_lists AS list
       SET allocated = list.allocated + least(:wanted, list.size - list.allocated)
      FROM (SELECT allocated FROM status_lists WHERE id = :list_id FOR UPDATE) AS before
     WHERE list.id = :list_id AND list.allocated < list.size
    RETURNING before.allocated, list.allocated, list.permutation_key, list.size
    """
)


@dataclass(frozen=True, slots=True)
class Claim:
    first_slot: int
    count: int
    permutation_key: bytes
    size: int


async def claim(session: AsyncSession, list_id: uuid.UUID, wanted: int) -> Claim | None:
    """Take up to ``wanted`` slots of a list; None when it is full.

    The row lock this takes is held until commit, which keeps slots unique across transactions.
    """
    row = (await session.execute(_CLAIM, {"list_id": list_id, "wanted": wanted})).one_or_none()
    if row is None:
        return None
    before, after, key, size = row
    return Claim(first_slot=before, count=after - before, permutation_key=key, size=size)


async def create(session: AsyncSession, status_list: StatusList) -> None:
    session.add(status_list)
    await session.flush()


async def get(session: AsyncSession, list_id: uuid.UUID) -> StatusList | None:
    return await session.get(StatusList, list_id)


async def publication(
    session: AsyncSession, list_id: uuid.UUID, purpose: str
) -> StatusListPublication | None:
    return await session.get(StatusListPublication, (list_id, purpose))


async def save_publication(
    session: AsyncSession,
    *,
    list_id: uuid.UUID,
    purpose: str,
    list_version: int,
    jwt: str,
    etag: str,
    signed_at: datetime,
) -> None:
    values = {
        "status_list_id": list_id,
        "purpose": purpose,
        "list_version": list_version,
        "jwt": jwt,
        "etag": etag,
        "signed_at": signed_at,
    }
    statement = insert(StatusListPublication).values(values)
    statement = statement.on_conflict_do_update(
        index_elements=["status_list_id", "purpose"],
        set_={k: statement.excluded[k] for k in ("list_version", "jwt", "etag", "signed_at")},
    )
    await session.execute(statement)
