from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, status

from app.auth.dependencies import AuthenticatedPrincipal, InstitutionAdmin, Operator
from app.db.session import DbSession
from app.images.upload import IMAGE_BODY, read_image_body
from app.institutions import service
from app.institutions.schemas import (
    InstitutionCreate,
    InstitutionOut,
    InstitutionUpdate,
    OrgUnitCreate,
    OrgUnitOut,
    OrgUnitUpdate,
    institution_out,
)
from app.responses import AUTHENTICATED, problems

router = APIRouter(prefix="/v1", tags=["institutions"])


_out = institution_out


@router.post(
    "/institutions",
    status_code=status.HTTP_201_CREATED,
    responses=problems(*AUTHENTICATED, 400, 409),
    summary="Create an institution (operators)",
)
async def create_institution(
    body: InstitutionCreate, session: DbSession, principal: Operator
) -> InstitutionOut:
    return _out(await service.create_institution(session, body, principal.actor))


@router.get("/institutions", responses=problems(401))
async def list_institutions(
    session: DbSession, principal: AuthenticatedPrincipal
) -> list[InstitutionOut]:
    return [_out(i) for i in await service.list_institutions(session, principal)]


@router.get("/institutions/{institution_id}", responses=problems(401, 404, 422))
async def get_institution(
    institution_id: uuid.UUID, session: DbSession, principal: AuthenticatedPrincipal
) -> InstitutionOut:
    return _out(await service.get_institution(session, principal, institution_id))


@router.patch("/institutions/{institution_id}", responses=problems(*AUTHENTICATED, 400, 404))
async def update_institution(
    institution_id: uuid.UUID,
    body: InstitutionUpdate,
    session: DbSession,
    principal: AuthenticatedPrincipal,
) -> InstitutionOut:
    return _out(await service.update_institution(session, principal, institution_id, body))


@router.put(
    "/institutions/{institution_id}/logo",
    responses=problems(*AUTHENTICATED, 404, 413, 415),
    openapi_extra=IMAGE_BODY,
    summary="Upload the institution's logo (PNG or JPEG), served from this host as PNG",
)
async def put_logo(
    institution_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: AuthenticatedPrincipal,
) -> InstitutionOut:
    upload = await read_image_body(request)
    return _out(await service.set_logo(session, principal, institution_id, upload))


@router.delete(
    "/institutions/{institution_id}/logo",
    responses=problems(*AUTHENTICATED, 404),
    summary="Remove the institution's logo",
)
async def delete_logo(
    institution_id: uuid.UUID, session: DbSession, principal: AuthenticatedPrincipal
) -> InstitutionOut:
    return _out(await service.set_logo(session, principal, institution_id, None))


@router.post(
    "/org-units",
    status_code=status.HTTP_201_CREATED,
    responses=problems(*AUTHENTICATED, 400, 409),
    tags=["org units"],
)
async def create_org_unit(
    body: OrgUnitCreate, session: DbSession, principal: InstitutionAdmin
) -> OrgUnitOut:
    return OrgUnitOut.model_validate(await service.create_org_unit(session, principal, body))


@router.get("/org-units", responses=problems(401, 403), tags=["org units"])
async def list_org_units(session: DbSession, principal: AuthenticatedPrincipal) -> list[OrgUnitOut]:
    return [OrgUnitOut.model_validate(u) for u in await service.list_org_units(session, principal)]


@router.get("/org-units/{unit_id}", responses=problems(401, 403, 404, 422), tags=["org units"])
async def get_org_unit(
    unit_id: uuid.UUID, session: DbSession, principal: AuthenticatedPrincipal
) -> OrgUnitOut:
    return OrgUnitOut.model_validate(await service.get_org_unit(session, principal, unit_id))


@router.patch(
    "/org-units/{unit_id}", responses=problems(*AUTHENTICATED, 400, 404, 409), tags=["org units"]
)
async def update_org_unit(
    unit_id: uuid.UUID, body: OrgUnitUpdate, session: DbSession, principal: InstitutionAdmin
) -> OrgUnitOut:
    return OrgUnitOut.model_validate(
        await service.update_org_unit(session, principal, unit_id, body)
    )
