from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, status
from fastapi.responses import JSONResponse

from app.auth.dependencies import KeyManager
from app.db.session import DbSession
from app.keys import service
from app.keys.schemas import KeyRotate, SigningKeyOut
from app.responses import AUTHENTICATED, problems

router = APIRouter(prefix="/v1/keys", tags=["keys"])
public_router = APIRouter(prefix="/issuers/{slug}", tags=["issuer identity (public)"])

Slug = Annotated[str, Path(max_length=63)]
Kid = Annotated[str, Path(max_length=64)]


@router.get("", responses=problems(*AUTHENTICATED))
async def list_keys(session: DbSession, principal: KeyManager) -> list[SigningKeyOut]:
    keys = await service.list_keys(session, principal.tenant())
    return [SigningKeyOut.model_validate(k) for k in keys]


@router.post(
    "/rotate",
    status_code=status.HTTP_201_CREATED,
    responses=problems(*AUTHENTICATED, 400),
    summary="Make a new key active; the old one stays published so its credentials verify",
)
async def rotate_key(body: KeyRotate, session: DbSession, principal: KeyManager) -> SigningKeyOut:
    key = await service.rotate(session, principal.tenant(), body.algorithm, principal.actor)
    return SigningKeyOut.model_validate(key)


def _json(document: dict[str, Any], media_type: str) -> JSONResponse:
    return JSONResponse(document, media_type=media_type, headers={"Cache-Control": "max-age=300"})


@public_router.get(
    "/did.json",
    responses={200: {"content": {"application/did+json": {}}}, **problems(404)},
    summary="did:web document with every key, retired ones included",
)
async def did_document(slug: Slug, session: DbSession) -> JSONResponse:
    return _json(await service.public_did_document(session, slug), "application/did+json")


@public_router.get(
    "/jwks.json",
    responses={200: {"content": {"application/jwk-set+json": {}}}, **problems(404)},
)
async def jwks(slug: Slug, session: DbSession) -> JSONResponse:
    return _json(await service.public_jwks(session, slug), "application/jwk-set+json")


@public_router.get(
    "/keys/{kid}",
    responses={200: {"content": {"application/jwk+json": {}}}, **problems(404)},
    summary="The bare public JWK (what an ob3-jwt `kid` dereferences to)",
)
async def public_key(slug: Slug, kid: Kid, session: DbSession) -> JSONResponse:
    return _json(await service.public_key(session, slug, kid), "application/jwk+json")
