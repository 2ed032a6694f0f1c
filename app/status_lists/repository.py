"""Queries on ``status_lists`` and ``status_list_publications``.

These go through Core statements, not the ORM identity map: the counter and (later) the bits
are changed by single SQL statements, and a cached ORM object would not see those changes.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.base import Base
from app.status_lists.models import StatusList, StatusListPublication


async def lock_allocation(
    session: AsyncSession, institution_id: uuid.UUID, kind: str = "status-lists"
) -> None:
    """Serialise slot allocation for one institution (and kind of list) until the transaction ends.

    Taken before any list row is touched, so allocators always lock in the same order (this
    lock, then list rows oldest first) and cannot deadlock; and a transaction that finds every
    list full can open a new one without another doing the same at the same moment.
    """
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"stapel.{kind}.allocate:{institution_id}"},
    )


async def open_list_ids(session: AsyncSession, institution_id: uuid.UUID) -> list[uuid.UUID]:
    """The institution's lists with free slots, oldest first (normally one, or none)."""
    query = (
        select(StatusList.id)
        .where(StatusList.institution_id == institution_id, StatusList.allocated < StatusList.size)
        .order_by(StatusList.created_at, StatusList.id)
    )
    return list((await session.execute(query)).scalars())


@dataclass(frozen=True, slots=True)
class Claim:
    """Slots ``first_slot .. first_slot + count - 1`` of a list now belong to the caller."""

    first_slot: int
    count: int
    permutation_key: bytes
    size: int


# One statement, because the row lock it takes lasts until commit. The CTE locks the row and
# reads the counter as it is after any concurrent claim committed (READ COMMITTED re-reads a
# row it had to wait for); the UPDATE then moves the counter on from exactly that value, and
# RETURNING hands back both ends of the claimed range. The same for both kinds of list (the
# Token Status Lists of app.token_status count their entries the same way).
_CLAIM = """
    WITH before AS (
        SELECT id, allocated, size
          FROM {table}
         WHERE id = :list_id AND allocated < size
           FOR UPDATE
    )
    UPDATE {table} AS list
       SET allocated = before.allocated + least(:wanted, before.size - before.allocated)
      FROM before
     WHERE list.id = before.id
    RETURNING before.allocated, list.allocated, list.permutation_key, list.size
    """
_CLAIMS = {
    table: text(_CLAIM.format(table=table)) for table in ("status_lists", "token_status_lists")
}


async def claim(
    session: AsyncSession, list_id: uuid.UUID, wanted: int, table: str = "status_lists"
) -> Claim | None:
    """Take up to ``wanted`` slots of a list (of ``table``); None when it is full."""
    row = (
        await session.execute(_CLAIMS[table], {"list_id": list_id, "wanted": wanted})
    ).one_or_none()
    if row is None:
        return None
    before, after, key, size = row
    return Claim(first_slot=before, count=after - before, permutation_key=key, size=size)


async def insert_list(
    session: AsyncSession,
    *,
    institution_id: uuid.UUID,
    size: int,
    permutation_key: bytes,
    empty: bytes,
) -> uuid.UUID:
    list_id = uuid.uuid4()
    await session.execute(
        insert(StatusList).values(
            id=list_id,
            institution_id=institution_id,
            size=size,
            allocated=0,
            permutation_key=permutation_key,
            revocation_bits=empty,
            suspension_bits=empty,
            version=1,
        )
    )
    return list_id


@dataclass(frozen=True, slots=True)
class ListState:
    """What publishing one purpose of a list needs: whose it is, its version, its bits."""

    institution_id: uuid.UUID
    version: int
    bits: bytes


_BITS_COLUMN = {
    "revocation": StatusList.revocation_bits,
    "suspension": StatusList.suspension_bits,
}


async def list_state(session: AsyncSession, list_id: uuid.UUID, purpose: str) -> ListState | None:
    """``purpose`` must be ``revocation`` or ``suspension``; only that bitstring is loaded."""
    query = select(StatusList.institution_id, StatusList.version, _BITS_COLUMN[purpose]).where(
        StatusList.id == list_id
    )
    row = (await session.execute(query)).one_or_none()
    if row is None:
        return None
    institution_id, version, bits = row
    return ListState(institution_id, version, bits)


@dataclass(frozen=True, slots=True)
class StoredPublication:
    list_version: int
    jwt: str
    etag: str


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
    await save_unless_newer(
        session,
        StatusListPublication,
        ("status_list_id", "purpose"),
        {
            "status_list_id": list_id,
            "purpose": purpose,
            "list_version": list_version,
            "jwt": jwt,
            "etag": etag,
            "signed_at": signed_at,
        },
    )


async def save_unless_newer(
    session: AsyncSession,
    model: type[Base],
    key_columns: Sequence[str],
    values: Mapping[str, object],
) -> None:
    """Insert or replace a stored publication (a row with ``list_version``), unless a newer
    version is stored already. Shared by the Bitstring and the Token Status List publications.

    Two readers may sign the same stale list at once and both answer with what they signed;
    either is a valid list for that version. A reader that read the list just before its bits
    changed must not overwrite the newer publication another reader stored meanwhile.
    """
    statement = pg_insert(model).values(**values)
    excluded = statement.excluded
    statement = statement.on_conflict_do_update(
        index_elements=list(key_columns),
        set_={name: excluded[name] for name in values if name not in key_columns},
        where=model.__table__.c.list_version <= excluded.list_version,
    )
    await session.execute(statement)


# Postgres numbers bytea bits from the least significant bit of each byte; callers pass
# ``postgres_bit_number(index)``. The casts pick set_bit(bytea, bigint, int) unambiguously.
_FLIP = {
    "revocation": text(
        "UPDATE status_lists SET version = version + 1,"
        " revocation_bits = set_bit(revocation_bits, CAST(:bit AS bigint), CAST(:value AS int))"
        " WHERE id = :list_id"
    ),
    "suspension": text(
        "UPDATE status_lists SET version = version + 1,"
        " suspension_bits = set_bit(suspension_bits, CAST(:bit AS bigint), CAST(:value AS int))"
        " WHERE id = :list_id"
    ),
}


async def set_status_bit(
    session: AsyncSession, list_id: uuid.UUID, purpose: str, bit: int, value: bool
) -> None:
    """Flip one bit in place; the row lock serialises concurrent flips on the list."""
    await session.execute(
        _FLIP[purpose], {"list_id": list_id, "bit": bit, "value": 1 if value else 0}
    )


async def current_publication(
    session: AsyncSession, list_id: uuid.UUID, purpose: str
) -> StoredPublication | None:
    """The stored publication, only while it still reflects the list (one query, no bits)."""
    query = (
        select(
            StatusListPublication.list_version,
            StatusListPublication.jwt,
            StatusListPublication.etag,
        )
        .join(StatusList, StatusList.id == StatusListPublication.status_list_id)
        .where(
            StatusListPublication.status_list_id == list_id,
            StatusListPublication.purpose == purpose,
            StatusListPublication.list_version == StatusList.version,
        )
    )
    row = (await session.execute(query)).one_or_none()
    return StoredPublication(*row) if row is not None else None
