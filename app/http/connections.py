"""Uvicorn's HTTP protocol with a deadline and a size bound for each request head.

Uvicorn closes idle keep-alive connections (``timeout_keep_alive``) but sets no timer on a new
connection, and any byte received cancels the keep-alive timer: a client that opens connections
and sends nothing, or a header line now and then, holds them for as long as it likes. Here each
connection must deliver a complete request head (request line and headers) within
``STAPEL_REQUEST_HEADER_TIMEOUT_SECONDS`` of its opening, or of the end of the previous
response; else it is closed. A head larger than :data:`MAX_HEAD_BYTES` is refused with 431 and
the connection closed, since the httptools parser itself sets no bound. The body is bounded by
``app.http.limits`` once the request reaches the application.
"""

from __future__ import annotations

import asyncio
from typing import Any, Final

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from app.config import get_settings

MAX_HEAD_BYTES: Final = 65_536
_HEAD_TOO_LARGE: Final = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: text/plain; charset=utf-8\r\nconnection: close\r\ncontent-length: 28\r\n\r\n"
    b"Request head is too large.\r\n"
)


class BoundedHeadProtocol(HttpToolsProtocol):
    """``HttpToolsProtocol`` (what ``uvicorn[standard]`` runs) with the head bounded."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timeout = get_settings().request_header_timeout_seconds
        self._head_deadline: asyncio.TimerHandle | None = None
        self._awaiting_head = True
        self._head_bytes = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_deadline()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if not self._awaiting_head:
            return
        # Still no complete head after this chunk: all of it was head.
        self._head_bytes += len(data)
        if self._head_bytes > MAX_HEAD_BYTES and not self.transport.is_closing():
            self.transport.write(_HEAD_TOO_LARGE)
            self.transport.close()

    def on_headers_complete(self) -> None:
        self._awaiting_head = False
        self._cancel_head_deadline()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.cycle.response_complete:
            self._await_head()

    def _await_head(self) -> None:
        self._awaiting_head = True
        self._head_bytes = 0
        self._cancel_head_deadline()
        self._head_deadline = self.loop.call_later(self._head_timeout, self._head_overdue)

    def _cancel_head_deadline(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _head_overdue(self) -> None:
        self._head_deadline = None
        if self._awaiting_head and not self.transport.is_closing():
            self.transport.close()
