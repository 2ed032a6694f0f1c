from __future__ import annotations

import base64
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.credentials.models import Credential
from app.db.writes import Write, rows_param
from app.sharing.models import ClaimLink

# Links go as one JSON parameter, so that they can be sent with the other writes of an
# issuance (app.db.writes); the secret's hash travels in base64.
_INSERT_LINKS = """
    INSERT INTO claim_links
        (id, key_id, secret_hash, credential_id, institution_id, expires_at, created_at)
    SELECT l.id, l.key_id, decode(l.secret_hash, 'base64'), l.credential_id, l.institution_id,
           l.expires_at, l.created_at
    FROM jsonb_to_recordset(CAST(CAST(:links AS text) AS jsonb))
        AS l(id uuid, key_id text, secret_hash text, credential_id uuid, institution_id uuid,
             expires_at timestamptz, created_at timestamptz)
"""


def links_write(rows: Sequence[dict[str, Any]]) -> Write | None:
    """New claim links (rows of the table's columns) as a write; none for none."""
    if not rows:
        return None
    links = [
        {**row, "secret_hash": base64.b64encode(row["secret_hash"]).decode("ascii")} for row in rows
    ]
    return Write(_INSERT_LINKS, {"links": rows_param(links)})


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


async def by_public_ids(session: AsyncSession, public_ids: Sequence[str]) -> list[Credential]:
    query = select(Credential).where(Credential.public_id.in_(public_ids))
    return list((await session.execute(query)).scalars())


async def set_publication(
    session: AsyncSession, credential: Credential, public_id: str | None, at: datetime | None
) -> None:
    await session.execute(
        update(Credential)
        .where(Credential.id == credential.id)
        .values(public_id=public_id, published_at=at)
    )
    credential.public_id, credential.published_at = public_id, at
