"""The public, cacheable Token Status Lists (``application/statuslist+jwt``)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.http.direct_routes import DirectRoute
from app.responses import problems
from app.status_lists import recent
from app.status_lists.router import (
    parse_list_id,
    publication_response,
    publication_responses,
)
from app.status_lists.service import Publication
from app.token_status import service

router = APIRouter(tags=["status lists (public)"], route_class=DirectRoute, responses=problems(503))

STATUSLIST_JWT = "application/statuslist+jwt"

# Read by the endpoint itself, as the Bitstring lists' are (see app.status_lists.router).
_PARAMETERS = [
    {
        "name": "list_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "format": "uuid", "title": "List Id"},
    },
    {
        "name": "if-none-match",
        "in": "header",
        "required": False,
        "schema": {"anyOf": [{"type": "string"}, {"type": "null"}], "title": "If-None-Match"},
    },
]


@router.get(
    "/status-lists/token/{list_id}",
    response_class=Response,
    openapi_extra={"parameters": _PARAMETERS},
    responses=publication_responses(
        STATUSLIST_JWT,
        "The Status List Token (draft-ietf-oauth-status-list), a JWT with `typ: statuslist+jwt`",
    ),
    summary="A signed IETF Token Status List (public, cacheable)",
)
async def get_token_status_list(request: Request) -> Response:
    """The Status List Token: `sub` is this URL, `status_list` has 2 bits per entry (0 valid,
    1 invalid, 2 suspended). `Cache-Control: max-age` is its `ttl`, never past its `exp`.
    """
    list_id = parse_list_id(request.path_params["list_id"])
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker

    async def load() -> Publication:
        # A read may sign the list again and store that: its own transaction, committed here.
        async with sessionmaker() as session, session.begin():
            return await service.publication(session, list_id)

    # The load has a session of its own, so it renews the list in the background too.
    published = await recent.served(list_id, service.RECENT_KEY, load, renew=load)
    return publication_response(published, request.headers.get("if-none-match"), STATUSLIST_JWT)
