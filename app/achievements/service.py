"""Achievements: the catalogue entries with every EU standard element, and their versions."""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy.ext.asyncio import AsyncSession

from app.achievements import catalogue_cache, policy, repository
from app.achievements.models import Achievement, AchievementVersion
from app.achievements.ob3 import AchievementSnapshot, achievement_document
from app.achievements.schemas import AchievementContent, AchievementCreate, AchievementUpdate
from app.audit.service import AuditEntry, record
from app.auth.principal import Principal
from app.contexts import OB_V3P0, VC_V2, eu_microcredential_url
from app.errors import FieldError, InvalidState, NotFound, ValidationFailed
from app.images import service as images
from app.institutions import repository as institutions
from app.institutions.ob3 import issuer_profile
from app.institutions.service import institution_of
from app.pathways import validation as pathways

_META_FIELDS = frozenset({"org_unit_id", "sis_course_codes"})
_CONTENT_FIELDS = frozenset(AchievementContent.model_fields)


@dataclass(frozen=True, slots=True)
class AchievementRecord:
    achievement: Achievement
    version: AchievementVersion

    @property
    def id(self) -> uuid.UUID:
        return self.achievement.id


# The validated content of each loaded version row, for as long as the session holds the row: a
# batch validated the same version once per credential, a twentieth of its CPU. The columns are
# compared on every use, so a draft version edited since is validated afresh.
_validated: WeakKeyDictionary[AchievementVersion, tuple[dict[str, Any], AchievementContent]] = (
    WeakKeyDictionary()
)


# A frozen version never changes (an edit makes a new version), so its content is kept by id
# across transactions: issuing validated the same columns again for every credential, about a
# twelfth of a single issuance's CPU. The least recently used go first.
_FROZEN_KEPT = 1024
_frozen: OrderedDict[uuid.UUID, AchievementContent] = OrderedDict()


def content_of(version: AchievementVersion) -> AchievementContent:
    """The version's content (shared between callers: treat it as read-only)."""
    if version.frozen and (kept := _kept_content(version.id)) is not None:
        return kept
    columns = {field: getattr(version, field) for field in _CONTENT_FIELDS}
    known = _validated.get(version)
    if known is not None and known[0] == columns:
        return known[1]
    content = AchievementContent.model_validate(columns)
    _validated[version] = (columns, content)
    if version.frozen:
        _frozen[version.id] = content
        if len(_frozen) > _FROZEN_KEPT:
            _frozen.popitem(last=False)
    return content


def _kept_content(version_id: uuid.UUID) -> AchievementContent | None:
    """The content of a frozen version, when this process has it already."""
    kept = _frozen.get(version_id)
    if kept is not None:
        _frozen.move_to_end(version_id)
    return kept


@dataclass(frozen=True, slots=True)
class IssuableAchievement:
    """An achievement as issuing reads it: its state and its current version's content."""

    id: uuid.UUID
    institution_id: uuid.UUID
    state: str
    version_id: uuid.UUID
    version: int
    frozen: bool
    content: AchievementContent


async def issuable_among(
    session: AsyncSession, wanted: Sequence[tuple[uuid.UUID, uuid.UUID]]
) -> list[IssuableAchievement]:
    """The achievements named by (institution, achievement) pairs that belong to that
    institution, share-locked until the transaction ends. A version's content is read from
    the database only when this process does not keep it (frozen versions are kept)."""
    rows = await repository.issuable_among(session, wanted)
    kept: dict[uuid.UUID, AchievementContent] = {}
    for row in rows:
        if row.frozen and (content := _kept_content(row.version_id)) is not None:
            kept[row.version_id] = content
    missing = [row.version_id for row in rows if row.version_id not in kept]
    if missing:
        # The achievement rows are share-locked: their current versions cannot change now.
        for version in await repository.versions_by_id(session, missing):
            kept[version.id] = content_of(version)
    return [
        IssuableAchievement(
            row.id,
            row.institution_id,
            row.state,
            row.version_id,
            row.version,
            row.frozen,
            kept[row.version_id],
        )
        for row in rows
    ]


def _columns(content: AchievementContent) -> dict[str, Any]:
    return content.model_dump(mode="json")


async def _check_references(
    session: AsyncSession,
    institution_id: uuid.UUID,
    org_unit_id: uuid.UUID | None,
    content: AchievementContent,
    self_id: uuid.UUID | None = None,
) -> None:
    errors: list[FieldError] = []
    if org_unit_id and not await institutions.org_unit_in(session, org_unit_id, institution_id):
        errors.append(
            FieldError("#/org_unit_id", "no such organisational unit", "unknown_org_unit")
        )
    targets = content.stackability.stacks_into if content.stackability else []
    if self_id in targets:
        errors.append(
            FieldError(
                "#/stackability/stacks_into", "cannot stack into itself", "stacks_into_itself"
            )
        )
    known = await repository.existing_ids(session, institution_id, targets) if targets else set()
    errors.extend(
        FieldError(f"#/stackability/stacks_into/{i}", "no such achievement", "unknown_achievement")
        for i, target in enumerate(targets)
        if target not in known
    )
    errors.extend(await pathways.violations(session, institution_id, content, self_id))
    if errors:
        raise ValidationFailed("The achievement refers to things it cannot.", errors=errors)


async def create_achievement(
    session: AsyncSession, principal: Principal, body: AchievementCreate
) -> AchievementRecord:
    institution = await institution_of(session, principal)
    content = AchievementContent.model_validate(body.model_dump(include=set(_CONTENT_FIELDS)))
    await _check_references(session, institution.id, body.org_unit_id, content)
    policy.enforce(content, institution)
    achievement = Achievement(
        institution_id=institution.id,
        org_unit_id=body.org_unit_id,
        state="draft",
        current_version=1,
        sis_course_codes=body.sis_course_codes,
    )
    session.add(achievement)
    await session.flush()
    version = AchievementVersion(achievement_id=achievement.id, version=1, **_columns(content))
    session.add(version)
    await session.flush()
    await record(
        session,
        principal.actor,
        AuditEntry(
            "achievement.created",
            "achievement",
            str(achievement.id),
            institution.id,
            {"title": content.title, "kind": content.kind},
        ),
    )
    return AchievementRecord(achievement, version)


async def get_achievement(
    session: AsyncSession, principal: Principal, achievement_id: uuid.UUID, *, lock: bool = False
) -> AchievementRecord:
    row = await repository.get_with_version(session, achievement_id, principal.tenant(), lock=lock)
    if row is None:
        raise NotFound("No such achievement.")
    return AchievementRecord(row[0], row[1])


async def _editable(
    session: AsyncSession, principal: Principal, achievement_id: uuid.UUID
) -> AchievementRecord:
    current = await get_achievement(session, principal, achievement_id, lock=True)
    if current.achievement.state == "archived":
        raise InvalidState("An archived achievement cannot be edited; publish it again first.")
    return current


async def _store_content(
    session: AsyncSession, current: AchievementRecord, content: AchievementContent
) -> AchievementVersion:
    """The edited content in place, or in a new version once credentials were issued."""
    achievement = current.achievement
    new_version = _apply_content(achievement, current.version, content)
    if new_version is not current.version:
        session.add(new_version)
    achievement.updated_at = datetime.now(UTC)
    await session.flush()
    catalogue_cache.changed_in(session)
    return new_version


async def update_achievement(
    session: AsyncSession, principal: Principal, achievement_id: uuid.UUID, body: AchievementUpdate
) -> AchievementRecord:
    current = await _editable(session, principal, achievement_id)
    achievement, version = current.achievement, current.version
    changes = body.model_dump(mode="json", exclude_unset=True)
    merged = {
        **content_of(version).model_dump(mode="json"),
        **{k: v for k, v in changes.items() if k in _CONTENT_FIELDS},
    }
    try:
        content = AchievementContent.model_validate(merged)
    except ValueError as exc:
        raise ValidationFailed(f"The edited achievement is not valid: {exc}") from exc
    org_unit_id = body.org_unit_id if "org_unit_id" in changes else achievement.org_unit_id
    await _check_references(
        session, achievement.institution_id, org_unit_id, content, achievement.id
    )
    policy.enforce(content, await institution_of(session, principal))
    achievement.org_unit_id = org_unit_id
    if "sis_course_codes" in changes:
        achievement.sis_course_codes = list(changes["sis_course_codes"] or [])
    new_version = await _store_content(session, current, content)
    await record(
        session,
        principal.actor,
        AuditEntry(
            "achievement.updated",
            "achievement",
            str(achievement.id),
            achievement.institution_id,
            {"fields": sorted(changes), "version": new_version.version},
        ),
    )
    return AchievementRecord(achievement, new_version)


async def set_image(
    session: AsyncSession, principal: Principal, achievement_id: uuid.UUID, upload: bytes | None
) -> AchievementRecord:
    """Upload (PNG or JPEG) or remove the achievement's image.

    The image becomes the version's ``image_url``, so it follows the versioning of every other
    element: credentials issued before keep the image they were issued with.
    """
    prepared = await images.prepare_upload(upload) if upload is not None else None
    current = await _editable(session, principal, achievement_id)
    url = await images.save(session, prepared) if prepared else None
    content = content_of(current.version).model_copy(update={"image_url": url})
    new_version = await _store_content(session, current, content)
    await record(
        session,
        principal.actor,
        AuditEntry(
            "achievement.image_set" if prepared else "achievement.image_removed",
            "achievement",
            str(current.id),
            current.achievement.institution_id,
            {
                "sha256": prepared.sha256 if prepared else None,
                "version": new_version.version,
            },
        ),
    )
    return AchievementRecord(current.achievement, new_version)


def _apply_content(
    achievement: Achievement, version: AchievementVersion, content: AchievementContent
) -> AchievementVersion:
    """Edit in place until a credential was issued; afterwards start a new version."""
    if content == content_of(version):
        return version
    if not version.frozen:
        for field, value in _columns(content).items():
            setattr(version, field, value)
        return version
    achievement.current_version = version.version + 1
    return AchievementVersion(
        achievement_id=achievement.id, version=achievement.current_version, **_columns(content)
    )


async def _transition(
    session: AsyncSession,
    principal: Principal,
    achievement_id: uuid.UUID,
    target: str,
    allowed_from: frozenset[str],
) -> AchievementRecord:
    current = await get_achievement(session, principal, achievement_id, lock=True)
    achievement = current.achievement
    if achievement.state not in allowed_from:
        raise InvalidState(f"A {achievement.state} achievement cannot become {target}.")
    if target == "published":
        policy.enforce(content_of(current.version), await institution_of(session, principal))
        achievement.published_at = datetime.now(UTC)
    achievement.state = target
    await session.flush()
    catalogue_cache.changed_in(session)
    await record(
        session,
        principal.actor,
        AuditEntry(
            f"achievement.{target}",
            "achievement",
            str(achievement.id),
            achievement.institution_id,
            {"version": current.version.version},
        ),
    )
    return current


async def publish_achievement(
    session: AsyncSession, principal: Principal, achievement_id: uuid.UUID
) -> AchievementRecord:
    return await _transition(
        session, principal, achievement_id, "published", frozenset({"draft", "archived"})
    )


async def archive_achievement(
    session: AsyncSession, principal: Principal, achievement_id: uuid.UUID
) -> AchievementRecord:
    return await _transition(
        session, principal, achievement_id, "archived", frozenset({"draft", "published"})
    )


async def list_achievements(
    session: AsyncSession,
    principal: Principal,
    *,
    state: str | None,
    kind: str | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[AchievementRecord]:
    rows = await repository.page(
        session, principal.tenant(), state=state, kind=kind, after=after, limit=limit
    )
    return [AchievementRecord(row[0], row[1]) for row in rows]


async def list_versions(
    session: AsyncSession, principal: Principal, achievement_id: uuid.UUID
) -> Sequence[AchievementVersion]:
    current = await get_achievement(session, principal, achievement_id)
    return await repository.versions_of(session, current.id)


async def public_document(
    session: AsyncSession, achievement_id: uuid.UUID, version: int | None
) -> dict[str, Any]:
    """The OB3 ``Achievement`` an issued credential's achievement id dereferences to."""
    row = await repository.public_version(session, achievement_id, version)
    if row is None:
        raise NotFound("No such published achievement.")
    achievement, found = row
    institution = await institutions.get(session, achievement.institution_id)
    if institution is None:  # pragma: no cover - the foreign key forbids it
        raise NotFound("No such published achievement.")
    snapshot = AchievementSnapshot(achievement.id, found.version, content_of(found))
    return {
        "@context": [VC_V2, OB_V3P0, eu_microcredential_url()],
        **achievement_document(snapshot, institution),
        "creator": issuer_profile(institution),
    }
