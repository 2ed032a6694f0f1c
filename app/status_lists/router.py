"""The public, cacheable Bitstring Status List credentials."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.http.direct_routes import DirectRoute
from app.responses import problems
from app.status_lists import recent, service
from app.status_lists.service import PURPOSES, Purpose

router = APIRouter(tags=["status lists (public)"], route_class=DirectRoute, responses=problems(503))

VC_JWT = "application/vc+jwt"


CACHE_HEADERS = {
    "ETag": {"description": "Strong validator of the signed list", "schema": {"type": "string"}},
    "Cache-Control": {
        "description": "`public, max-age=<ttl>`, the credential's ttl in seconds",
        "schema": {"type": "string"},
    },
}


# The busiest public endpoint reads its parameters itself: FastAPI's per-request validation of
# typed path and header parameters cost ~0.2 ms, as much as the rest of the request. The
# parameters are documented here as FastAPI would have, and refused with the same 422 problem.
_PARAMETERS = [
    {
        "name": "list_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "format": "uuid", "title": "List Id"},
    },
    {
        "name": "purpose",
        "in": "path",
        "required": True,
        "schema": {"enum": list(PURPOSES), "type": "string", "title": "Purpose"},
    },
    {
        "name": "if-none-match",
        "in": "header",
        "required": False,
        "schema": {"anyOf": [{"type": "string"}, {"type": "null"}], "title": "If-None-Match"},
    },
]


def publication_responses(media_type: str, description: str) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI answers of a route that serves a signed status list."""
    return {
        200: {
            "content": {media_type: {"schema": {"type": "string"}}},
            "description": description,
            "headers": CACHE_HEADERS,
        },
        304: {
            "description": "Unchanged since the ETag sent in If-None-Match; no body",
            "headers": CACHE_HEADERS,
        },
        **problems(404, 422),
    }


def _invalid(name: str, error: str, message: str, value: str) -> RequestValidationError:
    return RequestValidationError(
        [{"type": error, "loc": ("path", name), "msg": message, "input": value}]
    )


def parse_list_id(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise _invalid("list_id", "uuid_parsing", "Input should be a valid UUID", raw) from None


def _purpose(raw: str) -> Purpose:
    for purpose in PURPOSES:
        if raw == purpose:
            return purpose
    message = "Input should be " + " or ".join(f"'{p}'" for p in PURPOSES)
    raise _invalid("purpose", "literal_error", message, raw)


@router.get(
    "/status-lists/{list_id}/{purpose}",
    response_class=Response,
    openapi_extra={"parameters": _PARAMETERS},
    responses=publication_responses(
        VC_JWT, "The BitstringStatusListCredential as a compact JWS (vc-jose)"
    ),
    summary="A signed Bitstring Status List credential (public, cacheable)",
)
async def get_status_list(request: Request) -> Response:
    """The list credential, always as `application/vc+jwt`, whatever `Accept` asks for.

    There is no JSON variant: one representation keeps the ETag strong and shared caches free of
    `Vary: Accept`, and the payload of a compact JWS is plain base64url JSON for any client.
    `Cache-Control: max-age` equals the `ttl` the credential states.
    """
    list_id = parse_list_id(request.path_params["list_id"])
    purpose = _purpose(request.path_params["purpose"])
    if_none_match = request.headers.get("if-none-match")
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker

    async def load() -> service.Publication:
        # A read may sign the list again and store that: its own transaction, committed here.
        async with sessionmaker() as session, session.begin():
            return await service.publication(session, list_id, purpose)

    # The load has a session of its own, so it renews the list in the background too.
    published = await recent.served(list_id, purpose, load, renew=load)
    return publication_response(published, if_none_match, VC_JWT)


def publication_response(
    published: service.Publication, if_none_match: str | None, media_type: str
) -> Response:
    """A signed list as served: cacheable for its ttl, 304 when the client has this one."""
    headers = {
        "Cache-Control": f"public, max-age={published.ttl_seconds}",
        "ETag": published.etag,
        # Verifiers and wallets running in a browser fetch status lists from other origins.
        "Access-Control-Allow-Origin": "*",
    }
    if if_none_match is not None and etag_matches(if_none_match, published.etag):
        return Response(status_code=304, headers=headers)
    return Response(published.jwt, media_type=media_type, headers=headers)


def etag_matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110 If-None-Match: ``*`` or any listed tag, compared weakly (``W/`` ignored)."""
    candidates = [tag.strip() for tag in if_none_match.split(",")]
    return "*" in candidates or any(tag.removeprefix("W/") == etag for tag in candidates)
