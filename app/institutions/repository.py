from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.institutions.models import Institution, OrgUnit


async def get(session: AsyncSession, institution_id: uuid.UUID) -> Institution | None:
    return await session.get(Institution, institution_id)


async def get_for_update(session: AsyncSession, institution_id: uuid.UUID) -> Institution | None:
    """Lock the institution row: serialises changes that must not interleave (key rotation)."""
    return await session.get(Institution, institution_id, with_for_update=True)


async def get_by_slug(session: AsyncSession, slug: str) -> Institution | None:
    query = select(Institution).where(Institution.slug == slug)
    return (await session.execute(query)).scalar_one_or_none()


async def list_all(session: AsyncSession) -> Sequence[Institution]:
    query = select(Institution).order_by(Institution.slug)
    return (await session.execute(query)).scalars().all()


async def org_units_of(session: AsyncSession, institution_id: uuid.UUID) -> Sequence[OrgUnit]:
    query = select(OrgUnit).where(OrgUnit.institution_id == institution_id).order_by(OrgUnit.name)
    return (await session.execute(query)).scalars().all()


async def org_unit_in(
    session: AsyncSession, unit_id: uuid.UUID, institution_id: uuid.UUID
) -> OrgUnit | None:
    query = select(OrgUnit).where(OrgUnit.id == unit_id, OrgUnit.institution_id == institution_id)
    return (await session.execute(query)).scalar_one_or_none()


async def org_unit_named(
    session: AsyncSession, institution_id: uuid.UUID, name: str
) -> OrgUnit | None:
    query = select(OrgUnit).where(OrgUnit.institution_id == institution_id, OrgUnit.name == name)
    return (await session.execute(query)).scalar_one_or_none()
