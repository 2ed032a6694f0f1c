"""``/v1/recognitions``: the issuers an institution recognises towards its pathways."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from app.auth.dependencies import AuthenticatedPrincipal, CatalogueWriter
from app.db.session import DbSession
from app.recognition import service
from app.recognition.schemas import RecognitionBounds, RecognitionCreate, RecognitionOut
from app.responses import AUTHENTICATED, problems

router = APIRouter(prefix="/v1/recognitions", tags=["recognition"])


@router.get("", responses=problems(*AUTHENTICATED))
async def list_recognitions(
    session: DbSession, principal: AuthenticatedPrincipal
) -> list[RecognitionOut]:
    found = await service.list_recognitions(session, principal)
    return [RecognitionOut.model_validate(r) for r in found]


@router.post("", status_code=status.HTTP_201_CREATED, responses=problems(*AUTHENTICATED, 400, 409))
async def create_recognition(
    body: RecognitionCreate, session: DbSession, principal: CatalogueWriter
) -> RecognitionOut:
    return RecognitionOut.model_validate(await service.create_recognition(session, principal, body))


@router.get("/{recognition_id}", responses=problems(*AUTHENTICATED, 404))
async def get_recognition(
    recognition_id: uuid.UUID, session: DbSession, principal: AuthenticatedPrincipal
) -> RecognitionOut:
    return RecognitionOut.model_validate(
        await service.get_recognition(session, principal, recognition_id)
    )


@router.put("/{recognition_id}", responses=problems(*AUTHENTICATED, 400, 404))
async def update_recognition(
    recognition_id: uuid.UUID,
    body: RecognitionBounds,
    session: DbSession,
    principal: CatalogueWriter,
) -> RecognitionOut:
    return RecognitionOut.model_validate(
        await service.update_recognition(session, principal, recognition_id, body)
    )


@router.delete(
    "/{recognition_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems(*AUTHENTICATED, 404),
)
async def delete_recognition(
    recognition_id: uuid.UUID, session: DbSession, principal: CatalogueWriter
) -> Response:
    await service.delete_recognition(session, principal, recognition_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
