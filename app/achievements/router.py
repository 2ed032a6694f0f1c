from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, status

from app.achievements import service
from app.achievements.links import achievement_url
from app.achievements.schemas import (
    AchievementCreate,
    AchievementOut,
    AchievementUpdate,
    AchievementVersionOut,
)
from app.achievements.service import AchievementRecord, content_of
from app.achievements.vocabulary import AchievementKind, AchievementState
from app.auth.dependencies import AuthenticatedPrincipal, CatalogueWriter
from app.db.session import DbSession
from app.images.upload import IMAGE_BODY, read_image_body
from app.pagination import Cursor, Limit, Page, decode_keyset_cursor, next_keyset_cursor
from app.responses import AUTHENTICATED, problems

router = APIRouter(prefix="/v1/achievements", tags=["achievements"])


def achievement_out(item: AchievementRecord) -> AchievementOut:
    achievement, version = item.achievement, item.version
    return AchievementOut.model_validate(
        {
            **content_of(version).model_dump(),
            "id": achievement.id,
            "institution_id": achievement.institution_id,
            "org_unit_id": achievement.org_unit_id,
            "state": achievement.state,
            "version": version.version,
            "sis_course_codes": achievement.sis_course_codes,
            "achievement_url": achievement_url(achievement.id, version.version),
            "created_at": achievement.created_at,
            "updated_at": achievement.updated_at,
            "published_at": achievement.published_at,
        }
    )


@router.post("", status_code=status.HTTP_201_CREATED, responses=problems(*AUTHENTICATED, 400))
async def create_achievement(
    body: AchievementCreate, session: DbSession, principal: CatalogueWriter
) -> AchievementOut:
    return achievement_out(await service.create_achievement(session, principal, body))


@router.get("", responses=problems(401, 403, 400, 422))
async def list_achievements(
    session: DbSession,
    principal: AuthenticatedPrincipal,
    state: Annotated[AchievementState | None, Query()] = None,
    kind: Annotated[AchievementKind | None, Query()] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[AchievementOut]:
    items = await service.list_achievements(
        session,
        principal,
        state=state,
        kind=kind,
        after=decode_keyset_cursor(cursor),
        limit=limit + 1,
    )
    page = [achievement_out(i) for i in items[:limit]]
    next_cursor = next_keyset_cursor(
        items, limit, lambda i: (i.achievement.created_at, i.achievement.id)
    )
    return Page[AchievementOut](items=page, next_cursor=next_cursor)


@router.get("/{achievement_id}", responses=problems(401, 403, 404, 422))
async def get_achievement(
    achievement_id: uuid.UUID, session: DbSession, principal: AuthenticatedPrincipal
) -> AchievementOut:
    return achievement_out(await service.get_achievement(session, principal, achievement_id))


@router.patch(
    "/{achievement_id}",
    responses=problems(*AUTHENTICATED, 400, 404, 409),
    summary="Edit; once credentials were issued from the current version, a new version is made",
)
async def update_achievement(
    achievement_id: uuid.UUID,
    body: AchievementUpdate,
    session: DbSession,
    principal: CatalogueWriter,
) -> AchievementOut:
    return achievement_out(
        await service.update_achievement(session, principal, achievement_id, body)
    )


@router.post("/{achievement_id}/publish", responses=problems(*AUTHENTICATED, 404, 409))
async def publish_achievement(
    achievement_id: uuid.UUID, session: DbSession, principal: CatalogueWriter
) -> AchievementOut:
    return achievement_out(await service.publish_achievement(session, principal, achievement_id))


@router.post("/{achievement_id}/archive", responses=problems(*AUTHENTICATED, 404, 409))
async def archive_achievement(
    achievement_id: uuid.UUID, session: DbSession, principal: CatalogueWriter
) -> AchievementOut:
    return achievement_out(await service.archive_achievement(session, principal, achievement_id))


@router.put(
    "/{achievement_id}/image",
    responses=problems(*AUTHENTICATED, 404, 409, 413, 415),
    openapi_extra=IMAGE_BODY,
    summary="Upload the achievement's image (PNG or JPEG); stored as PNG, in a new version "
    "once credentials were issued",
)
async def put_achievement_image(
    achievement_id: uuid.UUID, request: Request, session: DbSession, principal: CatalogueWriter
) -> AchievementOut:
    upload = await read_image_body(request)
    return achievement_out(await service.set_image(session, principal, achievement_id, upload))


@router.delete(
    "/{achievement_id}/image",
    responses=problems(*AUTHENTICATED, 404, 409),
    summary="Remove the achievement's image",
)
async def delete_achievement_image(
    achievement_id: uuid.UUID, session: DbSession, principal: CatalogueWriter
) -> AchievementOut:
    return achievement_out(await service.set_image(session, principal, achievement_id, None))


@router.get("/{achievement_id}/versions", responses=problems(401, 403, 404, 422))
async def list_versions(
    achievement_id: uuid.UUID, session: DbSession, principal: AuthenticatedPrincipal
) -> list[AchievementVersionOut]:
    versions = await service.list_versions(session, principal, achievement_id)
    return [AchievementVersionOut.model_validate(v) for v in versions]
