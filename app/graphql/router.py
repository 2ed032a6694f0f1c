from __future__ import annotations

import asyncio
from typing import overload

from fastapi import Request, Response, WebSocket
from fastapi.responses import HTMLResponse
from strawberry.fastapi import GraphQLRouter
from strawberry.types.unset import UNSET

from app.achievements import catalogue_cache
from app.graphql.context import Context, get_context
from app.graphql.ide import graphiql_response
from app.graphql.response_cache import RESPONSES, Key, request_key
from app.graphql.schema import schema
from app.http.strings import mark_own_string_checks

# Futures of the cacheable queries being executed now, by key; None when not to be shared.
_running: dict[Key, asyncio.Future[bytes | None]] = {}


class CatalogueRouter(GraphQLRouter[Context, None]):
    """Serves a response kept a moment ago for the same anonymous query (see response_cache)."""

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        """Our GraphiQL page, whose assets Stapel serves itself, not Strawberry's CDN one."""
        return graphiql_response()

    @overload
    async def run(
        self, request: Request, context: Context = UNSET, root_value: None = UNSET
    ) -> Response: ...

    @overload
    async def run(
        self, request: WebSocket, context: Context = UNSET, root_value: None = UNSET
    ) -> WebSocket: ...

    async def run(
        self,
        request: Request | WebSocket,
        context: Context = UNSET,
        root_value: None = UNSET,
    ) -> Response | WebSocket:
        key = await request_key(request) if isinstance(request, Request) else None
        if key is None:
            return await super().run(request, context, root_value)
        body = RESPONSES.get(key)
        if body is None and key in _running:
            # The same query is being executed already (an entry just ran out and many clients
            # ask at once): serve the response that ran out while it does, or wait for its
            # response when there is none, instead of executing it again.
            body = RESPONSES.stale(key) or await asyncio.shield(_running[key])
        if body is not None:
            return Response(body, media_type="application/json")
        since = catalogue_cache.generation()
        _running[key] = done = asyncio.get_running_loop().create_future()
        kept: bytes | None = None
        try:
            response = await super().run(request, context, root_value)
            if (
                isinstance(context, Context)
                and context.cacheable
                and type(response) is Response
                and response.status_code == 200
            ):
                kept = bytes(response.body)
                RESPONSES.keep(key, kept, since)
        finally:
            if since != catalogue_cache.generation():
                kept = None  # the catalogue changed meanwhile: waiters execute afresh
            done.set_result(kept)
            if _running.get(key) is done:
                del _running[key]
        return response


def graphql_router(graphiql: bool) -> GraphQLRouter[Context, None]:
    """``/graphql``: the catalogue and staff mutations (and GraphiQL when enabled)."""
    router = CatalogueRouter(
        schema,
        # The prefix belongs to the router, not to include_router(): routes included under a
        # prefix keep their own empty path, which the metrics and the access log then
        # reported as "unmatched".
        prefix="/graphql",
        context_getter=get_context,
        graphql_ide="graphiql" if graphiql else None,
        tags=["graphql"],
    )
    # Arguments and variables are checked by the schema, and answered as GraphQL errors.
    mark_own_string_checks(router.routes)
    return router
