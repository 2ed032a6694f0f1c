"""Public, dereferenceable Open Badges 3.0 ``Achievement`` documents."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse

from app.achievements import service
from app.db.session import DbSession
from app.responses import problems

router = APIRouter(prefix="/achievements", tags=["achievements (public)"])

_LD_JSON = "application/ld+json"
_RESPONSES = {200: {"content": {_LD_JSON: {}}}, **problems(404, 422)}


def _document(body: dict[str, object]) -> JSONResponse:
    return JSONResponse(body, media_type=_LD_JSON, headers={"Cache-Control": "public, max-age=300"})


@router.get("/{achievement_id}", responses=_RESPONSES, summary="The published achievement now")
async def current_achievement(achievement_id: uuid.UUID, session: DbSession) -> JSONResponse:
    return _document(await service.public_document(session, achievement_id, None))


@router.get(
    "/{achievement_id}/versions/{version}",
    responses=_RESPONSES,
    summary="One version, as issued credentials name it",
)
async def achievement_version(
    achievement_id: uuid.UUID,
    version: Annotated[int, Path(ge=1, le=1_000_000)],
    session: DbSession,
) -> JSONResponse:
    return _document(await service.public_document(session, achievement_id, version))
