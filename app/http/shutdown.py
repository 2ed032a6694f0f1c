"""Requests cut off by the end of a graceful stop are answered 503, not with uvicorn's 500.

On SIGTERM uvicorn lets requests in flight finish for ``stapel serve --graceful-timeout``
seconds, then cancels them. A cancelled request has rolled its transaction back (the session's
context ends with the cancellation), so nothing was written, and the client may simply try
again, on another replica: that is a 503 with ``Retry-After``, as a problem like every other.
Uvicorn cancels a request only when it stops (a client that goes away is noted, not cancelled),
so a cancellation that reaches this middleware before the answer has started is such a stop.

The request runs in a task of its own behind a shield: the 503 must be written at once, before
uvicorn's lifespan shutdown closes the pool and the process ends, not after the cancelled
request has unwound (its rollback on a cancelled connection can take longer than that).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.problems import problem_response

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS: Final = 1


class StoppedRequestMiddleware:
    """Answer a request cancelled before its answer started with ``503 shutting_down``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def note_start(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        running = asyncio.ensure_future(self.app(scope, receive, note_start))
        try:
            await asyncio.shield(running)
        except asyncio.CancelledError:
            running.cancel()
            if not started:
                logger.warning("request cut off by the end of the graceful stop; answered 503")
                response = problem_response(
                    503,
                    "shutting_down",
                    "Shutting down",
                    "This server stopped before the request finished. Try again.",
                    headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
                )
                await response(scope, receive, send)
            raise
