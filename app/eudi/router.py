"""The Learning Credential over HTTP: the staff download, and the public metadata documents."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse

from app.auth.dependencies import CredentialIssuer
from app.db.session import DbSession
from app.eudi import metadata, service
from app.eudi.learning import VCT
from app.eudi.schemas import HolderKeyIn, SdJwtVcOut
from app.keys.service import public_jwks
from app.responses import AUTHENTICATED, problems

staff_router = APIRouter(prefix="/v1/credentials", tags=["credentials"])
public_router = APIRouter(tags=["issuer identity (public)"])

Slug = Annotated[str, Path(max_length=63)]
_CACHED = {"Cache-Control": "max-age=300"}


@staff_router.post(
    "/{credential_id}/sd-jwt-vc",
    responses=problems(*AUTHENTICATED, 404, 409),
    summary="The credential as an EU Learning Credential (SD-JWT VC) bound to a holder's key",
)
async def download_sd_jwt_vc(
    credential_id: uuid.UUID, body: HolderKeyIn, session: DbSession, principal: CredentialIssuer
) -> SdJwtVcOut:
    sd_jwt = await service.download_for_staff(session, principal, credential_id, body.holder_jwk)
    return SdJwtVcOut(vct=VCT, credential=sd_jwt)


@public_router.get(
    metadata.TYPE_METADATA_PATH,
    summary="SD-JWT VC Type Metadata of the Learning Credential",
)
async def learning_credential_type() -> JSONResponse:
    return JSONResponse(metadata.type_metadata(), headers=_CACHED)


@public_router.get(
    f"{metadata.ISSUER_METADATA_PREFIX}/issuers/{{slug}}",
    responses=problems(404),
    summary="JWT VC Issuer Metadata: the keys of the issuer of our SD-JWT VCs",
)
async def jwt_vc_issuer_metadata(slug: Slug, session: DbSession) -> JSONResponse:
    jwks = await public_jwks(session, slug)
    document = metadata.issuer_metadata(service.issuer_identifier(slug), jwks)
    return JSONResponse(document, headers=_CACHED)
