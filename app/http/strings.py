"""Strings that Postgres could not store, refused by name before a route's own code runs.

An app-wide dependency: FastAPI runs it before the route's parameters and body are used, and
it knows each path and query parameter's name (``%00`` in a slug), and the route. A JSON body
is searched only when its bytes hold an escape that may decode to NUL or a surrogate; then it
is parsed again and every such string is named by its JSON Pointer.

Routes that check strings themselves are marked with :func:`mark_own_string_checks`: GraphQL
(answered as GraphQL errors), the SIS intake (a bad result fails alone, not its batch), the
wallets' OpenID endpoints (answered in OAuth's words), and images by digest and the learner's
pages (an address that names nothing they show is a 404, as it always was).
"""

from __future__ import annotations

import json
import re
from typing import Final

from fastapi import Request
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from app.errors import FieldError, InvalidCharacters
from app.http.guard import is_json
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


async def refuse_unstorable_input(request: Request) -> None:
    if getattr(request.scope.get("route"), OWN_STRING_CHECKS, False):
        return
    named = [*request.path_params.items(), *request.query_params.multi_items()]
    errors = [
        FieldError("", INVALID_CHARACTERS_DETAIL, INVALID_CHARACTERS, parameter=name)
        for name, value in named
        if not (isinstance(value, str) and storable(value) and storable(name))
    ]
    if is_json(request.headers.get("content-type", "").encode()):
        errors += _body_errors(await request.body())
    if errors:
        raise InvalidCharacters(
            f"{len(errors)} field(s) hold characters that cannot be stored.", errors=errors
        )


def _body_errors(body: bytes) -> list[FieldError]:
    if _SUSPECT_ESCAPE.search(body) is None:
        return []
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
