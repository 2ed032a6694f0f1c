"""Wallet pickup over HTTP: the OpenID4VCI endpoints of each issuer and the staff's offers.

The OpenID endpoints answer wallets in OAuth's own error format (``app.oid4vci.routing``); the
staff endpoint is part of the REST API and answers with problems like the rest of it.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Header, Path, Request, Response, status
from fastapi.responses import JSONResponse

from app.auth.dependencies import CredentialIssuer
from app.db.session import DbSession
from app.http.rate_limits import rate_limits_of
from app.http.strings import mark_own_string_checks
from app.oid4vci import service
from app.oid4vci.errors import (
    InvalidCredentialRequest,
    InvalidNotificationRequest,
    InvalidRequest,
    OAuthError,
)
from app.oid4vci.routing import NO_STORE, OAuthRoute, error_response
from app.oid4vci.schemas import (
    CredentialResponseOut,
    NonceOut,
    OAuthErrorOut,
    OfferOut,
    TokenOut,
)
from app.oid4vci.signed_metadata import (
    SIGNED_METADATA_MEDIA_TYPE,
    signed_issuer_metadata,
    wants_signed,
)
from app.responses import AUTHENTICATED, problems

Slug = Annotated[str, Path(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")]
OfferReference = Annotated[str, Path(max_length=256)]
MAX_BODY_BYTES = 131_072
TOKEN_FORM = "application/x-www-form-urlencoded"  # noqa: S105 - a media type

openid_router = APIRouter(route_class=OAuthRoute, tags=["wallet pickup (OpenID4VCI)"])
staff_router = APIRouter(prefix="/v1/credentials", tags=["credentials"])


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    descriptions = {
        400: "An OAuth 2.0 / OpenID4VCI error (`error` names it)",
        401: "invalid_token, with WWW-Authenticate",
        404: "No credential issuer at this address",
    }
    return {code: {"model": OAuthErrorOut, "description": descriptions[code]} for code in statuses}


def _json(body: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, headers=headers)


@openid_router.get(
    "/.well-known/openid-credential-issuer/issuers/{slug}",
    responses={
        200: {
            "description": "The metadata as JSON or, asked for with Accept: application/jwt and "
            "while the institution's key has a certificate, as a JWT signed with x5c",
            "content": {SIGNED_METADATA_MEDIA_TYPE: {"schema": {"type": "string"}}},
        },
        **_errors(404),
    },
    summary="Credential Issuer Metadata of an institution (OpenID4VCI 1.0 §12.2)",
)
async def issuer_metadata(
    slug: Slug, session: DbSession, accept: Annotated[str | None, Header()] = None
) -> Response:
    # The answer depends on Accept, which caches must know.
    vary = {"Vary": "Accept"}
    if wants_signed(accept):
        signed = await signed_issuer_metadata(session, slug)
        if signed is not None:
            return Response(signed, media_type=SIGNED_METADATA_MEDIA_TYPE, headers=vary)
    return _json(await service.credential_issuer_metadata(session, slug), vary)


@openid_router.get(
    "/.well-known/oauth-authorization-server/issuers/{slug}",
    responses=_errors(404),
    summary="Authorization Server Metadata of an institution's token endpoint (RFC 8414)",
)
async def authorization_server_metadata(slug: Slug, session: DbSession) -> JSONResponse:
    return _json(await service.token_server_metadata(session, slug))


@openid_router.get(
    "/issuers/{slug}/offers/{reference}",
    responses=_errors(400, 404),
    summary="A credential offer by reference (credential_offer_uri): served once, until expiry",
)
async def credential_offer(
    slug: Slug, reference: OfferReference, session: DbSession
) -> JSONResponse:
    return _json(await service.serve_offer(session, slug, reference), NO_STORE)


@openid_router.post(
    "/issuers/{slug}/token",
    response_model=TokenOut,
    responses=_errors(400, 404),
    summary="Token endpoint: the pre-authorised code and its tx_code for an access token",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                TOKEN_FORM: {
                    "schema": {
                        "type": "object",
                        "required": ["grant_type", "pre-authorized_code", "tx_code"],
                        "properties": {
                            "grant_type": {"type": "string"},
                            "pre-authorized_code": {"type": "string"},
                            "tx_code": {"type": "string"},
                        },
                    }
                }
            },
        }
    },
)
async def token(slug: Slug, request: Request, session: DbSession) -> Response:
    form = await _token_form(request)
    offer = service.offer_of(form)
    if offer is not None:
        rate_limits_of(request.app).take_offer(offer)
    try:
        granted = await service.grant_token(session, slug, form)
    except service.WrongTxCode as refusal:
        # Answered rather than raised, so that the request commits the attempt it counted.
        return error_response(refusal)
    body = TokenOut(access_token=granted.access_token, expires_in=granted.expires_in)
    return _json(body.model_dump(), NO_STORE)


async def _token_form(request: Request) -> service.TokenRequest:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != TOKEN_FORM:
        raise InvalidRequest(f"Send the token request as {TOKEN_FORM}.")
    if len(await request.body()) > MAX_BODY_BYTES:
        raise InvalidRequest("The token request is too large.")
    form = await request.form()
    values: dict[str, str] = {}
    for name, value in form.multi_items():
        if not isinstance(value, str):
            raise InvalidRequest("The token request holds no files.")
        if name in values:
            raise InvalidRequest(f"The parameter {name} is repeated.")  # RFC 6749 §3.2
        values[name] = value
    return service.TokenRequest(
        values.get("grant_type"), values.get("pre-authorized_code"), values.get("tx_code")
    )


@openid_router.post(
    "/issuers/{slug}/nonce",
    response_model=NonceOut,
    responses=_errors(404),
    summary="Nonce endpoint: a fresh c_nonce, good for one credential request",
)
async def nonce(slug: Slug, session: DbSession) -> JSONResponse:
    return _json({"c_nonce": await service.new_nonce(session, slug)}, NO_STORE)


@openid_router.post(
    "/issuers/{slug}/credential",
    response_model=CredentialResponseOut,
    responses=_errors(400, 401, 404),
    summary="Credential endpoint: the credential, bound to each key proven in proofs.jwt",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["credential_configuration_id", "proofs"],
                        "properties": {
                            "credential_configuration_id": {"type": "string"},
                            "proofs": {
                                "type": "object",
                                "properties": {
                                    "jwt": {"type": "array", "items": {"type": "string"}}
                                },
                            },
                        },
                    }
                }
            },
        }
    },
)
async def credential(
    slug: Slug,
    request: Request,
    session: DbSession,
    authorization: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    body = await _json_body(request, InvalidCredentialRequest)
    issued = await service.issue_to_wallet(session, slug, authorization, body)
    answer = {
        "credentials": [{"credential": jwt} for jwt in issued.credentials],
        "notification_id": issued.notification_id,
    }
    return _json(answer, NO_STORE)


@openid_router.post(
    "/issuers/{slug}/notification",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=_errors(400, 401, 404),
    summary="Notification endpoint: what became of credentials a wallet received",
)
async def notification(
    slug: Slug,
    request: Request,
    session: DbSession,
    authorization: Annotated[str | None, Header()] = None,
) -> Response:
    body = await _json_body(request, InvalidNotificationRequest)
    await service.notify(session, slug, authorization, body)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


async def _json_body(request: Request, refusal: type[OAuthError]) -> object:
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise refusal("The request body is too large.")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise refusal("The request body is not JSON.") from None


@staff_router.post(
    "/{credential_id}/offers",
    status_code=status.HTTP_201_CREATED,
    responses=problems(*AUTHENTICATED, 404, 409),
    summary="Offer the credential to the learner's wallet (OpenID4VCI pre-authorised code)",
)
async def create_offer(
    credential_id: uuid.UUID, session: DbSession, principal: CredentialIssuer
) -> OfferOut:
    offer = await service.offer_by_staff(session, principal, credential_id)
    return OfferOut(
        offer_uri=offer.offer_uri,
        credential_offer_uri=offer.credential_offer_uri,
        tx_code=offer.tx_code,
        expires_at=offer.expires_at,
        credential_configuration_ids=offer.configuration_ids,
    )


# Wallets are answered in OAuth's words, so these endpoints refuse unusable strings themselves
# (an unknown offer reference, a proof that is not a JWT) instead of as problems.
mark_own_string_checks(openid_router.routes)
