from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import (
    ARRAY,
    Row,
    Select,
    Uuid,
    and_,
    any_,
    bindparam,
    cast,
    select,
    text,
    tuple_,
    update,
)
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


# Every issuing transaction asks this, for every achievement its requests name. Loaded as ORM
# instances with the version's content, it cost 1-1.5 ms of CPU a transaction (the query, the
# instances and expiring them at commit): two fifths of a single issuance at one client. The
# content is almost always kept already (content_of keeps frozen versions), so only the columns
# that say which version is current, and whether it is frozen, are read here.
_ISSUABLE = text(
    """
    SELECT a.id, a.institution_id, a.state, v.id AS version_id, v.version, v.frozen
    FROM achievements a
    JOIN achievement_versions v ON v.achievement_id = a.id AND v.version = a.current_version
    WHERE a.id = ANY(:achievements) AND a.institution_id = ANY(:institutions)
    FOR SHARE OF a
    """
).bindparams(
    bindparam("achievements", type_=ARRAY(Uuid())),
    bindparam("institutions", type_=ARRAY(Uuid())),
)


async def issuable_among(
    session: AsyncSession, wanted: Sequence[tuple[uuid.UUID, uuid.UUID]]
) -> Sequence[Row[uuid.UUID, uuid.UUID, str, uuid.UUID, int, bool]]:
    """(id, institution_id, state, version_id, version, frozen) of the achievements named by
    (institution, achievement) pairs, each only where it belongs to that institution, with
    their current versions, share-locked so no edit interleaves. The pairs are matched by the
    caller; an achievement id is unique."""
    params = {
        "achievements": sorted({achievement_id for _, achievement_id in wanted}),
        "institutions": sorted({institution_id for institution_id, _ in wanted}),
    }
    rows = await session.execute(_ISSUABLE, params)
    return rows.all()


async def versions_by_id(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> Sequence[AchievementVersion]:
    """Versions by id, content and all (for issuing: those whose content is not kept)."""
    wanted = cast(ids, ARRAY(Uuid()))
    query = select(AchievementVersion).where(AchievementVersion.id == any_(wanted))
    return (await session.execute(query)).scalars().all()


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
