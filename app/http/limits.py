"""Bounded request bodies: a size limit per kind of route and one deadline for the whole body.

Both are enforced by :class:`RequestBodyLimits`, a pure-ASGI middleware in front of every route,
so that nothing behind it (FastAPI's body parsing, ``request.stream()``, form parsing) ever sees
more bytes than the route's limit, or waits longer than the deadline for them:

* a declared ``Content-Length`` above the limit is answered ``413`` before any of the body is
  read;
* a body without one (chunked) is counted as it streams, and the request is answered ``413``
  as soon as the count passes the limit; the rest is never read, and uvicorn closes the
  connection because the body was left unread;
* the whole body must arrive within ``body_timeout`` seconds of the first read, else ``408``.

The answer replaces whatever the route was about to send: the route sees a failed read, which
raises, and its transaction rolls back, so nothing is half-written.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import DomainError, PayloadTooLarge, RequestTimeout
from app.problems import domain_problem_response

if TYPE_CHECKING:
    from app.config import Settings

# Routes whose bodies are files or many items; every other route takes the default limit.
_UPLOADS: Final = re.compile(
    r"^/v1/(achievements/[^/]+/image|institutions/[^/]+/logo|credential-requests)$"
    r"|^/verify$|^/claim/[^/]+/request$"
)
_BATCHES: Final = re.compile(r"^/v1/credentials/batch$")
_SIS_INTAKE: Final = re.compile(r"^/v1/(sis/[^/]+/events|integrations/[^/]+/imports)$")


@dataclass(frozen=True, slots=True)
class BodyLimits:
    """The byte limit of each kind of route, and the deadline for a whole body."""

    default: int
    upload: int
    batch: int
    sis: int
    body_timeout: float

    @classmethod
    def from_settings(cls, settings: Settings) -> BodyLimits:
        return cls(
            default=settings.request_max_bytes,
            upload=settings.request_max_upload_bytes,
            batch=settings.request_max_batch_bytes,
            sis=settings.sis_max_event_bytes,
            body_timeout=settings.request_body_timeout_seconds,
        )

    def for_path(self, path: str) -> int:
        if _UPLOADS.match(path):
            return self.upload
        if _BATCHES.match(path):
            return self.batch
        if _SIS_INTAKE.match(path):
            return self.sis
        return self.default


class _BodyRefused(Exception):
    """Raised into the route's read; the middleware answers with ``error`` instead."""

    def __init__(self, error: DomainError) -> None:
        super().__init__(error.detail)
        self.error = error


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"The request body is larger than {limit} bytes, the most accepted.")


class _BoundedBody:
    """The ``receive`` of one request: counts body bytes and keeps the body's deadline.

    One timer per request, armed at the first read and dropped once the body is complete: an
    ``asyncio.timeout`` around every read cost more than the rest of the middleware together.
    When it fires during a read, that read is cancelled; when between reads, the next one fails.
    """

    def __init__(self, receive: Receive, limit: int, timeout: float) -> None:
        self._receive = receive
        self._limit = limit
        self._timeout = timeout
        self._timer: asyncio.TimerHandle | None = None
        self._complete = False
        self._overdue = False
        self._reader: asyncio.Task[Any] | None = None
        self._received = 0
        self.refused: DomainError | None = None

    async def __call__(self) -> Message:
        if self.refused is not None:
            raise _BodyRefused(self.refused)
        if self._timer is None and not self._complete:
            self._timer = asyncio.get_running_loop().call_later(self._timeout, self._time_up)
        if self._overdue:
            raise self._timed_out()
        self._reader = asyncio.current_task()
        try:
            message = await self._receive()
        except asyncio.CancelledError:
            if not self._overdue or self._reader is None or self._reader.uncancel() > 0:
                raise  # cancelled by someone else as well: theirs to handle
            raise self._timed_out() from None
        finally:
            self._reader = None
        if message["type"] != "http.request":
            self._finish()
            return message
        self._received += len(message.get("body", b""))
        if self._received > self._limit:
            self._finish()
            self.refused = _too_large(self._limit)
            raise _BodyRefused(self.refused)
        if not message.get("more_body", False):
            self._finish()
        return message

    def _time_up(self) -> None:
        self._overdue = True
        if self._reader is not None:
            self._reader.cancel()

    def _timed_out(self) -> _BodyRefused:
        self._finish()
        self.refused = RequestTimeout(
            f"The request body did not arrive within {self._timeout:g} seconds."
        )
        return _BodyRefused(self.refused)

    def _finish(self) -> None:
        self._complete = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


class RequestBodyLimits:
    """The middleware: see the module docstring. Limits come from ``app.state.body_limits``."""

    def __init__(self, app: ASGIApp, limits: BodyLimits | None = None) -> None:
        self.app = app
        self._limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limits = self._limits or getattr(scope["app"].state, "body_limits", None)
        if limits is None:  # the lifespan has not run (the OpenAPI document): no bodies come
            await self.app(scope, receive, send)
            return
        limit = limits.for_path(scope["path"])
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            await _refusal(_too_large(limit))(scope, receive, send)
            return
        body = _BoundedBody(receive, limit, limits.body_timeout)
        started = False

        async def send_unless_refused(message: Message) -> None:
            nonlocal started
            if body.refused is not None:
                return  # the route's own answer to the failed read: ours is sent instead
            started = True
            await send(message)

        try:
            await self.app(scope, body, send_unless_refused)
        except Exception:
            if body.refused is None:
                raise
        if body.refused is not None and not started:
            await _refusal(body.refused)(scope, receive, send)


def _refusal(error: DomainError) -> ASGIApp:
    """The problem answer, closing the connection: the unread rest of the body is not wanted."""
    response = domain_problem_response(error)
    response.headers["Connection"] = "close"
    return response
