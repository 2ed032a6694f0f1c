from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Path, Response

from app.db.session import DbSession
from app.responses import problems
from app.status_lists import service

router = APIRouter(tags=["status lists (public)"])

VC_JWT = "application/vc+jwt"


@router.get(
    "/status-lists/{list_id}/{purpose}",
    response_class=Response,
    responses={
        200: {
            "content": {VC_JWT: {"schema": {"type": "string"}}},
            "description": "The signed BitstringStatusListCredential",
        },
        304: {"description": "Not modified since the ETag sent in If-None-Match"},
        **problems(404, 422),
    },
    summary="A signed Bitstring Status List credential (public, cacheable)",
)
async def get_status_list(
    list_id: uuid.UUID,
    purpose: Annotated[Literal["revocation", "suspension"], Path()],
    session: DbSession,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    published = await service.publication(session, list_id, purpose)
    headers = {
        "Cache-Control": f"public, max-age={published.ttl_seconds}",
        "ETag": published.etag,
    }
    if if_none_match and published.etag in (t.strip() for t in if_none_match.split(",")):
        return Response(status_code=304, headers=headers)
    return Response(published.jwt, media_type=VC_JWT, headers=headers)
