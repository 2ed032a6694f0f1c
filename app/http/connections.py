"""Uvicorn's HTTP protocol with a deadline and a size bound for each request head.

Uvicorn closes idle keep-alive connections (``timeout_keep_alive``) but sets no timer on a new
connection, and any byte received cancels the keep-alive timer: a client that opens connections
and sends nothing, or a header line now and then, holds them for as long as it likes. Here each
connection must deliver a complete request head (request line and headers) within
``STAPEL_REQUEST_HEADER_TIMEOUT_SECONDS`` of its opening, or of the end of the previous
response; else it is closed. A head larger than :data:`MAX_HEAD_BYTES` is refused with 431 and
the connection closed, since the httptools parser itself sets no bound. The body is bounded by
``app.http.limits`` once the request reaches the application.

It also turns Nagle's algorithm off on every TCP connection, which uvicorn's own protocol leaves
to asyncio, and asyncio does only for connections whose socket says it is TCP: with
``--workers N`` uvicorn binds the listening socket itself without saying so (protocol 0), and
its accepted connections kept Nagle on. A response goes out in two writes, head and body; the
body then waited for the client's delayed ACK, ~40 ms on Linux, on every request but a
connection's first: ``--workers 2`` answered one client 23 times a second where ``--workers 1``
answered it 7,965 times.
"""

from __future__ import annotations

import asyncio
import socket
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
    """``HttpToolsProtocol`` (what ``uvicorn[standard]`` runs) with the head bounded.

    One timer per connection, not per request: a request only moves the deadline (a float),
    and the timer, when it fires, closes the connection if a head is overdue or else sleeps
    until the deadline it finds. Arming and cancelling a timer for every request cost more than
    the rest of this class, and left a cancelled handle per request in the loop's heap.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timeout = get_settings().request_header_timeout_seconds
        self._head_timer: asyncio.TimerHandle | None = None
        self._head_deadline = 0.0
        self._awaiting_head = True
        self._head_bytes = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        _turn_off_nagle(transport)
        super().connection_made(transport)
        self._await_head()
        self._head_timer = self.loop.call_at(self._head_deadline, self._check_head)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
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
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.cycle.response_complete:
            self._await_head()

    def _await_head(self) -> None:
        self._awaiting_head = True
        self._head_bytes = 0
        self._head_deadline = self.loop.time() + self._head_timeout

    def _check_head(self) -> None:
        self._head_timer = None
        if self.transport.is_closing():
            return
        if self._awaiting_head and self.loop.time() >= self._head_deadline:
            self.transport.close()
            return
        # A request is being handled (its end sets the next deadline, at least a timeout
        # from now) or the head is not yet due: look again then.
        wake = self._head_deadline if self._awaiting_head else self.loop.time() + self._head_timeout
        self._head_timer = self.loop.call_at(wake, self._check_head)


def _turn_off_nagle(transport: asyncio.BaseTransport) -> None:
    connection = transport.get_extra_info("socket")
    if connection is not None and connection.family in (socket.AF_INET, socket.AF_INET6):
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
