"""The public, cacheable Bitstring Status List credentials."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Path, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.responses import problems
from app.status_lists import recent, service

router = APIRouter(tags=["status lists (public)"])

VC_JWT = "application/vc+jwt"


_CACHE_HEADERS = {
    "ETag": {"description": "Strong validator of the signed list", "schema": {"type": "string"}},
    "Cache-Control": {
        "description": "`public, max-age=<ttl>`, the credential's ttl in seconds",
        "schema": {"type": "string"},
    },
}


@router.get(
    "/status-lists/{list_id}/{purpose}",
    response_class=Response,
    responses={
        200: {
            "content": {VC_JWT: {"schema": {"type": "string"}}},
            "description": "The BitstringStatusListCredential as a compact JWS (vc-jose)",
            "headers": _CACHE_HEADERS,
        },
        304: {
            "description": "Unchanged since the ETag sent in If-None-Match; no body",
            "headers": _CACHE_HEADERS,
        },
        **problems(404, 422),
    },
    summary="A signed Bitstring Status List credential (public, cacheable)",
)
async def get_status_list(
    list_id: uuid.UUID,
    purpose: Annotated[Literal["revocation", "suspension"], Path()],
    request: Request,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """The list credential, always as `application/vc+jwt`, whatever `Accept` asks for.

    There is no JSON variant: one representation keeps the ETag strong and shared caches free of
    `Vary: Accept`, and the payload of a compact JWS is plain base64url JSON for any client.
    `Cache-Control: max-age` equals the `ttl` the credential states.
    """
    published = recent.lookup(list_id, purpose)
    if published is None:
        # A read may sign the list again and store that: its own transaction, committed here.
        sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
        async with sessionmaker() as session, session.begin():
            published = await service.recent_publication(session, list_id, purpose)
    headers = {
        "Cache-Control": f"public, max-age={published.ttl_seconds}",
        "ETag": published.etag,
        # Verifiers and wallets running in a browser fetch status lists from other origins.
        "Access-Control-Allow-Origin": "*",
    }
    if if_none_match is not None and etag_matches(if_none_match, published.etag):
        return Response(status_code=304, headers=headers)
    return Response(published.jwt, media_type=VC_JWT, headers=headers)


def etag_matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110 If-None-Match: ``*`` or any listed tag, compared weakly (``W/`` ignored)."""
    candidates = [tag.strip() for tag in if_none_match.split(",")]
    return "*" in candidates or any(tag.removeprefix("W/") == etag for tag in candidates)
