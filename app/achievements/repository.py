from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ARRAY, Row, Select, Uuid, and_, any_, cast, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.achievements.models import Achievement, AchievementVersion

_CURRENT = and_(
    AchievementVersion.achievement_id == Achievement.id,
    AchievementVersion.version == Achievement.current_version,
)


def _with_current_version() -> Select[Achievement, AchievementVersion]:
    return select(Achievement, AchievementVersion).join(AchievementVersion, _CURRENT)


async def get_with_version(
    session: AsyncSession,
    achievement_id: uuid.UUID,
    institution_id: uuid.UUID,
    *,
    lock: bool = False,
) -> Row[Achievement, AchievementVersion] | None:
    query = _with_current_version().where(
        Achievement.id == achievement_id, Achievement.institution_id == institution_id
    )
    if lock:
        query = query.with_for_update(of=Achievement)
    return (await session.execute(query)).one_or_none()


async def issuable_among(
    session: AsyncSession, wanted: Sequence[tuple[uuid.UUID, uuid.UUID]]
) -> Sequence[Row[Achievement, AchievementVersion]]:
    """The achievements named by (institution, achievement) pairs, each only where it belongs
    to that institution, with their current versions, share-locked so no edit interleaves."""
    institutions = sorted({institution_id for institution_id, _ in wanted})
    achievements = sorted({achievement_id for _, achievement_id in wanted})
    query = (
        _with_current_version()
        # = ANY(array): one bound parameter each, where IN (...) is expanded and typed per
        # request. The pairs are matched by the caller; an achievement id is unique.
        .where(
            Achievement.id == any_(cast(achievements, ARRAY(Uuid()))),
            Achievement.institution_id == any_(cast(institutions, ARRAY(Uuid()))),
        )
        .with_for_update(of=Achievement, read=True)
    )
    return (await session.execute(query)).all()


async def page(
    session: AsyncSession,
    institution_id: uuid.UUID,
    *,
    state: str | None,
    kind: str | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> Sequence[Row[Achievement, AchievementVersion]]:
    query = (
        _with_current_version()
        .where(Achievement.institution_id == institution_id)
        .order_by(Achievement.created_at, Achievement.id)
        .limit(limit)
    )
    if state is not None:
        query = query.where(Achievement.state == state)
    if kind is not None:
        query = query.where(AchievementVersion.kind == kind)
    if after is not None:
        query = query.where(tuple_(Achievement.created_at, Achievement.id) > after)
    return (await session.execute(query)).all()


async def versions_of(
    session: AsyncSession, achievement_id: uuid.UUID
) -> Sequence[AchievementVersion]:
    query = (
        select(AchievementVersion)
        .where(AchievementVersion.achievement_id == achievement_id)
        .order_by(AchievementVersion.version)
    )
    return (await session.execute(query)).scalars().all()


async def institution_of_achievement(
    session: AsyncSession, achievement_id: uuid.UUID
) -> uuid.UUID | None:
    """Whose achievement this is, whatever its state; None when there is no such achievement."""
    query = select(Achievement.institution_id).where(Achievement.id == achievement_id)
    return (await session.execute(query)).scalar_one_or_none()


async def existing_ids(
    session: AsyncSession, institution_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    query = select(Achievement.id).where(
        Achievement.id.in_(ids), Achievement.institution_id == institution_id
    )
    return set((await session.execute(query)).scalars().all())


async def freeze(session: AsyncSession, version_ids: Sequence[uuid.UUID]) -> None:
    """Mark versions as issued from; only rows not yet frozen are touched (and locked)."""
    await session.execute(
        update(AchievementVersion)
        .where(AchievementVersion.id.in_(version_ids), AchievementVersion.frozen.is_(False))
        .values(frozen=True)
    )


async def public_version(
    session: AsyncSession, achievement_id: uuid.UUID, version: int | None
) -> Row[Achievement, AchievementVersion] | None:
    """A version anyone may read: one credentials were issued from, or the published current one."""
    query = (
        select(Achievement, AchievementVersion)
        .join(AchievementVersion, AchievementVersion.achievement_id == Achievement.id)
        .where(Achievement.id == achievement_id)
    )
    if version is None:
        query = query.where(
            AchievementVersion.version == Achievement.current_version,
            Achievement.state == "published",
        )
    else:
        query = query.where(
            AchievementVersion.version == version,
            (AchievementVersion.frozen.is_(True))
            | (
                (AchievementVersion.version == Achievement.current_version)
                & (Achievement.state == "published")
            ),
        )
    return (await session.execute(query)).one_or_none()
