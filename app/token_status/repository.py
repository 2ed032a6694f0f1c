"""Queries on the Token Status List tables.

Like ``app.status_lists.repository``, Core statements: entries change by single SQL statements
that an ORM object in the identity map would not see.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.credentials.models import Credential
from app.status_lists.repository import save_unless_newer
from app.token_status.models import TokenStatusEntry, TokenStatusList, TokenStatusPublication

TABLE = "token_status_lists"


@dataclass(frozen=True, slots=True)
class StoredEntry:
    list_id: uuid.UUID
    idx: int


@dataclass(frozen=True, slots=True)
class CredentialEntry:
    """Whether the institution has the credential, and the credential's entry if it has one."""

    found: bool
    entry: StoredEntry | None


async def entry_of(
    session: AsyncSession, institution_id: uuid.UUID, credential_id: uuid.UUID
) -> CredentialEntry:
    query = (
        select(TokenStatusEntry.list_id, TokenStatusEntry.idx)
        .select_from(Credential)
        .outerjoin(TokenStatusEntry, TokenStatusEntry.credential_id == Credential.id)
        .where(Credential.id == credential_id, Credential.institution_id == institution_id)
    )
    row = (await session.execute(query)).one_or_none()
    if row is None:
        return CredentialEntry(found=False, entry=None)
    list_id, idx = row
    return CredentialEntry(True, StoredEntry(list_id, idx) if list_id is not None else None)


async def insert_entry(
    session: AsyncSession, credential_id: uuid.UUID, list_id: uuid.UUID, idx: int
) -> None:
    await session.execute(
        insert(TokenStatusEntry).values(credential_id=credential_id, list_id=list_id, idx=idx)
    )


async def open_list_ids(session: AsyncSession, institution_id: uuid.UUID) -> list[uuid.UUID]:
    query = (
        select(TokenStatusList.id)
        .where(
            TokenStatusList.institution_id == institution_id,
            TokenStatusList.allocated < TokenStatusList.size,
        )
        .order_by(TokenStatusList.created_at, TokenStatusList.id)
    )
    return list((await session.execute(query)).scalars())


async def insert_list(
    session: AsyncSession, institution_id: uuid.UUID, size: int, permutation_key: bytes
) -> uuid.UUID:
    list_id = uuid.uuid4()
    await session.execute(
        insert(TokenStatusList).values(
            id=list_id,
            institution_id=institution_id,
            size=size,
            allocated=0,
            permutation_key=permutation_key,
            statuses=bytes(size // 4),  # 2 bits an entry, every one 0 (VALID)
            version=1,
        )
    )
    return list_id


# Entry idx holds bits 2*idx (low) and 2*idx + 1 (high), counted from the least significant
# bit of each byte: the draft's order is Postgres set_bit's. One statement finds the
# credential's entry and changes it; a credential without one changes nothing.
_SET_STATUS = text(
    """
    UPDATE token_status_lists AS list
       SET statuses = set_bit(
               set_bit(list.statuses, CAST(entry.idx * 2 AS bigint), CAST(:low AS int)),
               CAST(entry.idx * 2 + 1 AS bigint), CAST(:high AS int)),
           version = list.version + 1
      FROM token_status_entries AS entry
     WHERE entry.credential_id = :credential_id AND list.id = entry.list_id
    RETURNING list.id
    """
)


async def set_status(
    session: AsyncSession, credential_id: uuid.UUID, status: int
) -> uuid.UUID | None:
    """Set the credential's entry to ``status`` (0-3); the list's id, or None without entry."""
    row = (
        await session.execute(
            _SET_STATUS,
            {"credential_id": credential_id, "low": status & 1, "high": (status >> 1) & 1},
        )
    ).one_or_none()
    return row[0] if row is not None else None


@dataclass(frozen=True, slots=True)
class ListState:
    institution_id: uuid.UUID
    version: int
    statuses: bytes


async def list_state(session: AsyncSession, list_id: uuid.UUID) -> ListState | None:
    query = select(
        TokenStatusList.institution_id, TokenStatusList.version, TokenStatusList.statuses
    ).where(TokenStatusList.id == list_id)
    row = (await session.execute(query)).one_or_none()
    return ListState(*row) if row is not None else None


@dataclass(frozen=True, slots=True)
class StoredPublication:
    jwt: str
    etag: str
    expires_at: datetime


async def current_publication(
    session: AsyncSession, list_id: uuid.UUID
) -> StoredPublication | None:
    """The stored token, only while it reflects the list's version (one query, no statuses)."""
    query = (
        select(
            TokenStatusPublication.jwt,
            TokenStatusPublication.etag,
            TokenStatusPublication.expires_at,
        )
        .join(TokenStatusList, TokenStatusList.id == TokenStatusPublication.list_id)
        .where(
            TokenStatusPublication.list_id == list_id,
            TokenStatusPublication.list_version == TokenStatusList.version,
        )
    )
    row = (await session.execute(query)).one_or_none()
    return StoredPublication(*row) if row is not None else None


async def save_publication(
    session: AsyncSession,
    *,
    list_id: uuid.UUID,
    list_version: int,
    jwt: str,
    etag: str,
    signed_at: datetime,
    expires_at: datetime,
) -> None:
    """Insert or replace the stored token, unless one of a newer version is stored already."""
    await save_unless_newer(
        session,
        TokenStatusPublication,
        ("list_id",),
        {
            "list_id": list_id,
            "list_version": list_version,
            "jwt": jwt,
            "etag": etag,
            "signed_at": signed_at,
            "expires_at": expires_at,
        },
    )
