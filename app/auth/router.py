from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from app.auth import service
from app.auth.dependencies import AuthenticatedPrincipal
from app.auth.schemas import ApiClientCreate, ApiClientCreated, ApiClientOut
from app.db.session import DbSession
from app.responses import AUTHENTICATED, problems

router = APIRouter(prefix="/v1/api-clients", tags=["api clients"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=problems(*AUTHENTICATED, 400, 404),
    summary="Create an API key (institution admins, or operators for any institution)",
)
async def create_api_client(
    body: ApiClientCreate, session: DbSession, principal: AuthenticatedPrincipal
) -> ApiClientCreated:
    client, token = await service.create_client(session, principal, body)
    return ApiClientCreated.model_validate(
        {**ApiClientOut.model_validate(client).model_dump(), "api_key": token}
    )


@router.get("", responses=problems(401, 403))
async def list_api_clients(
    session: DbSession, principal: AuthenticatedPrincipal
) -> list[ApiClientOut]:
    return [ApiClientOut.model_validate(c) for c in await service.list_clients(session, principal)]


@router.delete("/{client_id}", responses=problems(*AUTHENTICATED, 404, 409), summary="Revoke")
async def revoke_api_client(
    client_id: uuid.UUID, session: DbSession, principal: AuthenticatedPrincipal
) -> ApiClientOut:
    return ApiClientOut.model_validate(await service.revoke_client(session, principal, client_id))
