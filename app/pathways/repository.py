"""The pathway engine's queries."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.achievements.models import Achievement, AchievementVersion
from app.db.keyset import after_keyset
from app.institutions.models import Institution
from app.keys.did import institution_did
from app.pathways.models import PathwayApproval, PathwayAward, PathwayEvent
from app.pathways.rules import Candidate
from app.pathways.schemas import Pathway


@dataclass(frozen=True, slots=True)
class AchievementFacts:
    """What saving and evaluating a pathway needs of an achievement's current version."""

    id: uuid.UUID
    institution_id: uuid.UUID
    issuer_did: str
    state: str
    ects: float | None
    eqf_level: int | None
    pathway: Pathway | None


_FACTS = (
    select(
        Achievement.id,
        Achievement.institution_id,
        Institution.slug,
        Achievement.state,
        AchievementVersion.ects,
        AchievementVersion.eqf_level,
        AchievementVersion.pathway,
    )
    .join(
        AchievementVersion,
        (AchievementVersion.achievement_id == Achievement.id)
        & (AchievementVersion.version == Achievement.current_version),
    )
    .join(Institution, Institution.id == Achievement.institution_id)
)

# Published pathways naming the achievement or matching by properties, and pathways a current
# award rests on the credential for (whatever their state now).
_AFFECTS = text(
    """
    achievement_versions.pathway IS NOT NULL AND (
        (achievements.state = 'published' AND (
            jsonb_exists(achievement_versions.pathway -> 'components', CAST(:achievement AS text))
            OR jsonb_typeof(achievement_versions.pathway -> 'match') = 'object'))
        OR achievements.id IN (SELECT achievement_id FROM pathway_awards
                               WHERE current AND :credential = ANY(component_ids)))
    """
)


def _facts(row: Any) -> AchievementFacts:
    return AchievementFacts(
        id=row.id,
        institution_id=row.institution_id,
        issuer_did=institution_did(row.slug),
        state=row.state,
        ects=row.ects,
        eqf_level=row.eqf_level,
        pathway=Pathway.model_validate(row.pathway) if row.pathway else None,
    )


async def facts(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, AchievementFacts]:
    if not ids:
        return {}
    rows = await session.execute(_FACTS.where(Achievement.id.in_(list(ids))))
    return {row.id: _facts(row) for row in rows}


async def stacked_affected(
    session: AsyncSession, credential_id: uuid.UUID, achievement_id: uuid.UUID | str
) -> list[AchievementFacts]:
    """The stacked achievements a changed credential may count, or counts, towards.

    An external credential's achievement is a URL, named by no pathway: it counts towards
    those that match by properties.
    """
    query = _FACTS.where(
        _AFFECTS.bindparams(achievement=str(achievement_id), credential=credential_id)
    ).order_by(Achievement.id)
    return [_facts(row) for row in await session.execute(query)]


# The learner's credentials of this instance, and the external credentials they brought as
# evidence (``app.learner_requests``), which name their issuer and achievement as given.
_CANDIDATES = text(
    """
    SELECT c.id, c.institution_id, c.achievement_id, i.slug, CAST(NULL AS text) AS issuer_did,
           c.awarded_on, c.issued_at,
           c.document #>> '{credentialSubject,result,0,value}' AS grade,
           v.ects, CAST(v.eqf_level AS integer) AS eqf_level, v.field_of_study,
           ARRAY(SELECT o ->> 'esco_skill' FROM jsonb_array_elements(v.learning_outcomes) AS o
                 WHERE o ->> 'esco_skill' IS NOT NULL) AS esco_skills,
           CAST(NULL AS text) AS external_achievement, CAST(NULL AS text) AS document_id
    FROM credentials AS c
    JOIN achievement_versions AS v ON v.id = c.achievement_version_id
    JOIN institutions AS i ON i.id = c.institution_id
    WHERE c.learner_lookup @> ARRAY[CAST(:learner AS text)]
      AND c.state = 'active'
      AND (c.valid_until IS NULL OR c.valid_until > now())
      AND c.achievement_id <> :stacked
    UNION ALL
    SELECT e.id, CAST(NULL AS uuid), CAST(NULL AS uuid), CAST(NULL AS text), e.issuer_did,
           e.awarded_on, e.issued_at, e.grade, e.ects, CAST(e.eqf_level AS integer),
           e.field_of_study, CAST(ARRAY[] AS text[]), e.achievement_url, e.document_id
    FROM external_credentials AS e
    WHERE e.learner_lookup @> ARRAY[CAST(:learner AS text)]
      AND (e.valid_until IS NULL OR e.valid_until > now())
    ORDER BY issued_at, id
    """
)


async def candidates(
    session: AsyncSession, learner_key: str, stacked_id: uuid.UUID
) -> list[Candidate]:
    """The learner's active, unexpired credentials of any issuer on this instance, and the
    unexpired external credentials accepted as their evidence."""
    rows = await session.execute(_CANDIDATES, {"learner": learner_key, "stacked": stacked_id})
    return [
        Candidate(
            credential_id=row.id,
            institution_id=row.institution_id,
            achievement_id=row.achievement_id,
            issuer_did=row.issuer_did or institution_did(row.slug),
            awarded_on=row.awarded_on,
            issued_at=row.issued_at,
            grade=row.grade,
            ects=row.ects,
            eqf_level=row.eqf_level,
            field_of_study=row.field_of_study,
            esco_skills=frozenset(row.esco_skills or ()),
            external_achievement=row.external_achievement,
            document_id=row.document_id,
        )
        for row in rows
    ]


_EXTERNAL = text(
    "SELECT learner_lookup[1] AS learner_key, achievement_url FROM external_credentials "
    "WHERE id = :id"
)


async def external_component(
    session: AsyncSession, external_id: uuid.UUID
) -> tuple[str, str] | None:
    """An external credential's learner (its first look-up digest) and achievement URL."""
    row = (await session.execute(_EXTERNAL, {"id": external_id})).first()
    return (row.learner_key, row.achievement_url) if row and row.learner_key else None


async def lock_learner_pathway(
    session: AsyncSession, achievement_id: uuid.UUID, learner_key: str
) -> None:
    """Serialise evaluations of one learner against one stacked achievement until commit."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"pathway:{achievement_id}:{learner_key}"},
    )


async def current_award(
    session: AsyncSession, achievement_id: uuid.UUID, learner_key: str
) -> PathwayAward | None:
    query = select(PathwayAward).where(
        PathwayAward.achievement_id == achievement_id,
        PathwayAward.learner_key == learner_key,
        PathwayAward.current,
    )
    return (await session.execute(query)).scalar_one_or_none()


async def pending_approval(
    session: AsyncSession, achievement_id: uuid.UUID, learner_key: str
) -> PathwayApproval | None:
    query = select(PathwayApproval).where(
        PathwayApproval.achievement_id == achievement_id,
        PathwayApproval.learner_key == learner_key,
        PathwayApproval.status == "pending",
    )
    return (await session.execute(query)).scalar_one_or_none()


async def claim_due(session: AsyncSession, limit: int) -> list[PathwayEvent]:
    """Lock up to ``limit`` due events no other worker holds, oldest first."""
    query = (
        select(PathwayEvent)
        .where(PathwayEvent.status == "pending", PathwayEvent.next_attempt_at <= text("now()"))
        .order_by(PathwayEvent.next_attempt_at, PathwayEvent.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await session.execute(query)).scalars())


async def page_approvals(
    session: AsyncSession,
    institution_id: uuid.UUID,
    status: str | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> Sequence[PathwayApproval]:
    query = select(PathwayApproval).where(PathwayApproval.institution_id == institution_id)
    if status is not None:
        query = query.where(PathwayApproval.status == status)
    query = after_keyset(query, PathwayApproval.created_at, PathwayApproval.id, after, limit)
    return (await session.execute(query)).scalars().all()


async def approval_for_update(
    session: AsyncSession, institution_id: uuid.UUID, approval_id: uuid.UUID
) -> PathwayApproval | None:
    query = (
        select(PathwayApproval)
        .where(PathwayApproval.id == approval_id, PathwayApproval.institution_id == institution_id)
        .with_for_update()
    )
    return (await session.execute(query)).scalar_one_or_none()


async def retire_award(session: AsyncSession, award_id: uuid.UUID) -> None:
    await session.execute(
        update(PathwayAward).where(PathwayAward.id == award_id).values(current=False)
    )


async def denied_before(session: AsyncSession, achievement_id: uuid.UUID, learner_key: str) -> bool:
    """Staff denied this learner this stacked achievement once: the engine does not ask again."""
    query = select(PathwayApproval.id).where(
        PathwayApproval.achievement_id == achievement_id,
        PathwayApproval.learner_key == learner_key,
        PathwayApproval.status == "denied",
    )
    return (await session.execute(query.limit(1))).first() is not None
