"""One pure-ASGI middleware that times each request, counts it and writes its access-log line."""

from __future__ import annotations

import logging
import time
from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.observability import metrics
from app.observability.context import begin_request, end_request
from app.observability.logging import log_access

# Probes and scrapes arrive every few seconds; their lines are written at debug level only.
_QUIET_ROUTES: Final = frozenset({"/healthz", "/readyz", "/metrics"})


def route_template(scope: Scope) -> str:
    """The path template of the route that handled the request, never the path itself."""
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return template if isinstance(template, str) and template else metrics.UNMATCHED_ROUTE


class ObservabilityMiddleware:
    """Request metrics (route template, status, duration) and the access log.

    Add it inside :class:`app.context.RequestIdMiddleware`, so that the request id is known
    when the line is written. Query strings and bodies are never logged: a credential search
    may carry a student number or an e-mail address.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # unless a response starts: an exception escaped and becomes a 500

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        _, token = begin_request()
        try:
            await self.app(scope, receive, send_and_note_status)
        finally:
            elapsed = time.perf_counter() - started
            route = route_template(scope)
            method = scope["method"]
            metrics.observe_request(method, route, status, elapsed)
            log_access(
                logging.DEBUG if route in _QUIET_ROUTES else logging.INFO,
                method=method,
                route=route,
                status=status,
                duration_ms=round(elapsed * 1000, 2),
            )
            end_request(token)
