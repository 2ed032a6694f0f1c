"""Strings that Postgres could not store, refused by name before a route's own code runs.

Checked by :class:`~app.http.guard.InputGuardMiddleware`, which already reads every JSON body:
a request pays a search of its path and query string for a NUL, and a JSON body a search of
its bytes for an escape that may decode to NUL or a surrogate. Only a request in which one is
found is looked at closer: its route is found as the router will find it (so that each path
parameter is named, ``%00`` in a slug, and a route that checks strings itself is left alone),
and a JSON body is parsed again so that every such string is named by its JSON Pointer.

Routes that check strings themselves are marked with :func:`mark_own_string_checks`: GraphQL
(answered as GraphQL errors), the SIS intake (a bad result fails alone, not its batch), the
wallets' OpenID endpoints (answered in OAuth's words), and images by digest and the learner's
pages (an address that names nothing they show is a 404, as it always was).
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

from fastapi.routing import APIRoute, iter_route_contexts
from starlette.datastructures import QueryParams
from starlette.routing import BaseRoute, Match
from starlette.types import Scope

from app.errors import FieldError, InvalidCharacters
from app.http.text import (
    INVALID_CHARACTERS,
    INVALID_CHARACTERS_DETAIL,
    pointer_to,
    storable,
    unstorable_paths,
)

# A JSON escape that may decode to NUL or a surrogate (it also matches an escaped backslash
# followed by such text, which the parse then finds harmless).
_SUSPECT_ESCAPE: Final = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")
OWN_STRING_CHECKS: Final = "checks_own_strings"


def mark_own_string_checks(routes: list[BaseRoute], *paths: str) -> None:
    """Leave the strings of these routes (all of them when no path is named) to the route."""
    for route in routes:
        if isinstance(route, APIRoute) and (not paths or route.path in paths):
            setattr(route, OWN_STRING_CHECKS, True)


def unstorable_input(scope: Scope, json_body: bytes | None) -> InvalidCharacters | None:
    """The refusal of a request whose parameters or JSON body hold unstorable strings, if any.

    The path and query are decoded as Starlette decodes them (invalid UTF-8 becomes U+FFFD), so
    only a NUL can reach a parameter from there; lone surrogates come only from JSON escapes.
    """
    suspect_body = json_body is not None and _SUSPECT_ESCAPE.search(json_body) is not None
    query: bytes = scope.get("query_string", b"")
    if not (suspect_body or "\x00" in scope["path"] or b"%00" in query or b"\x00" in query):
        return None
    route, path_params = _route_of(scope)
    if route is None or getattr(route, OWN_STRING_CHECKS, False):
        return None  # unmatched (404, 405) or the route's own business
    named = [*path_params.items(), *QueryParams(query).multi_items()]
    errors = [
        FieldError("", INVALID_CHARACTERS_DETAIL, INVALID_CHARACTERS, parameter=name)
        for name, value in named
        if not (isinstance(value, str) and storable(value) and storable(name))
    ]
    if suspect_body and json_body is not None:
        errors += _body_errors(json_body)
    if not errors:
        return None
    return InvalidCharacters(
        f"{len(errors)} field(s) hold characters that cannot be stored.", errors=errors
    )


def _route_of(scope: Scope) -> tuple[APIRoute | None, dict[str, Any]]:
    """The API route the router will hand this request to (the first full match, in the
    router's order), and its path parameters. Only requests that hold a suspect string pay
    for this walk over the routes."""
    probe = dict(scope)  # matching may note things in the scope; the request's stays as it is
    for context in iter_route_contexts(scope["app"].router.routes):
        match, child = context.matches(probe)
        if match is Match.FULL:
            route = context.original_route
            if isinstance(route, APIRoute):
                return route, child.get("path_params", {})
            return None, {}  # a mount (static files, documentation assets): no parameters
    return None, {}


def _body_errors(body: bytes) -> list[FieldError]:
    try:
        # The standard library, as FastAPI reads bodies: orjson refuses lone surrogates. The
        # guard has bounded the depth already.
        value = json.loads(body)
    except ValueError:
        return []  # not JSON: the route answers that in its own way
    return [
        FieldError(pointer_to(path), INVALID_CHARACTERS_DETAIL, INVALID_CHARACTERS)
        for path in unstorable_paths(value)
    ]
