"""Every request's input checked once, before routing: JSON bodies' UTF-8 and depth, and
strings Postgres could not store in the path, query and JSON body.

FastAPI and Strawberry parse bodies with the standard library, which fails with a 500 on a body
nested some thousand levels deep and reads invalid UTF-8 as a generic error. Checking here
covers every JSON route at once, including those that read their body themselves.

Most bodies cost a UTF-8 check and two counts over their bytes: only a body with more brackets
than the depth limit is parsed here too. The string check (``app.http.strings``) costs most
requests a search of their path and query, and a JSON body a search of its bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import Settings, get_settings
from app.errors import DomainError, InvalidBody, JsonTooDeep
from app.http import json_body
from app.http.strings import unstorable_input
from app.problems import client_gone_response, domain_problem_response

_BODY_METHODS: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _json_content(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-type":
            return is_json(value)
    return False


def is_json(content_type: bytes) -> bool:
    media = content_type.split(b";", 1)[0].strip().lower()
    return media == b"application/json" or media.endswith(b"+json")


class InputGuardMiddleware:
    """Refuses JSON bodies not UTF-8 or nested too deep with a 400 problem, and unstorable
    strings in the path, query or JSON body with a 422, before any route."""

    def __init__(self, app: ASGIApp, settings: Settings | None = None) -> None:
        self.app = app
        self._settings: Callable[[], Settings] = (lambda: settings) if settings else get_settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] not in _BODY_METHODS or not _json_content(scope):
            refused = unstorable_input(scope, None)
            if refused is not None:
                await domain_problem_response(refused)(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        body, complete = await _read_body(receive)
        if not complete:
            # The client went away before its body was complete (uvicorn says so also when the
            # body had arrived but was not yet read): there is no request to hand on. Given what
            # came, as if complete, a route would judge a shorter body, such as the SIS intake
            # refusing its signature.
            await client_gone_response()(scope, receive, send)
            return
        try:
            self._check(body)
            if (refused := unstorable_input(scope, body)) is not None:
                raise refused
        except DomainError as error:
            await domain_problem_response(error)(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    def _check(self, body: bytes) -> None:
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidBody("The body is not valid UTF-8.") from exc
        limit = self._settings().max_json_depth
        if json_body.brackets(body) <= limit:
            return
        try:
            json_body.parse(body, limit)
        except JsonTooDeep:
            raise
        except DomainError:
            return  # not JSON at all: each route answers that in its own way


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    """The body, and whether it is complete: a message other than a part of it (a disconnect)
    may come before its end."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), False
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), True


def _replay(body: bytes, receive: Receive) -> Receive:
    pending: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed
