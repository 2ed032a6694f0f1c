"""Uvicorn's HTTP protocol with a deadline and a size bound for each request head, Nagle's
algorithm off, and each answer written once.

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

And it writes each answer once (:class:`CoalescedWrites`), not as uvicorn does, head and body
apart. While other requests are in flight, the answers completed in one turn of the event loop
are handed to their sockets one after another at the start of the next. A send wakes the client
waiting for it, and on loopback (a reverse proxy or load balancer on the same host, or the
benchmark) the kernel does that in the sending process: in a VM, an interrupt to the client's
CPU. Sent in a burst, the answers find the client awake after the first. With the server pinned
to one core and wrk at 64 connections, an eighth of the server's time went into such wake-ups
(perf: ``sock_def_readable`` under ``sendto``). Written this way, in alternating benchmark runs,
``/healthz`` went from ~8,600 to ~10,400 answers a second and verification from ~1,880 to
~2,260, and the server's system time per request fell from ~30 µs to ~10 and from ~60 µs to ~15.
A request alone in flight has its answer sent as soon as it is complete: waiting for the next
turn added ~100 µs to an idle server's answers.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterable
from typing import Any, Final

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from app.config import get_settings

MAX_HEAD_BYTES: Final = 65_536
# Writes held for the next turn of the event loop up to this size; a larger one leaves at once,
# so that the transport's flow control (pause_writing at asyncio's 64 KiB high-water mark)
# still sees a large body as it is written.
MOST_HELD_BYTES: Final = 65_536
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
        # After uvicorn's own set-up, which reads addresses off the socket's transport and
        # gives that transport to the flow control (pause_reading, resume_reading).
        self.transport: CoalescedWrites = CoalescedWrites(transport, self.loop)
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
        if len(self.tasks) <= 1:
            # The only request in flight (its own task is still counted): the answer leaves
            # now, not after the rest of its handling (its log line, its metrics) and a turn
            # of the loop; the client is waiting for it, and this process would fall idle.
            self.transport.send_held()
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


class CoalescedWrites(asyncio.Transport):
    """A socket's transport that holds what is written until the next turn of the event loop.

    The first write of a turn schedules the hand-over; everything written until then goes to
    the socket's transport in one write. :meth:`send_held` hands it over at once (the protocol
    calls it for the answer of a request alone in flight), and so does a write that brings the
    held bytes to :data:`MOST_HELD_BYTES` or more. Closing hands over what is held first;
    aborting drops it, as aborting drops the transport's own buffer.
    """

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._transport = transport
        self._loop = loop
        self._held: list[bytes] = []
        self._held_bytes = 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        if not self._held:
            self._loop.call_soon(self.send_held)
        self._held.append(bytes(data))
        self._held_bytes += len(data)
        if self._held_bytes >= MOST_HELD_BYTES:
            self.send_held()

    def writelines(self, list_of_data: Iterable[bytes | bytearray | memoryview]) -> None:
        for data in list_of_data:
            self.write(data)

    def send_held(self) -> None:
        """Hand what is held to the socket's transport now."""
        if not self._held:
            return  # sent already: on completion, at the bound, or on closing
        held = self._held[0] if len(self._held) == 1 else b"".join(self._held)
        self._held = []
        self._held_bytes = 0
        if not self._transport.is_closing():
            self._transport.write(held)

    def close(self) -> None:
        self.send_held()
        self._transport.close()

    def abort(self) -> None:
        self._held = []
        self._held_bytes = 0
        self._transport.abort()

    def can_write_eof(self) -> bool:
        return self._transport.can_write_eof()

    def write_eof(self) -> None:
        self.send_held()
        self._transport.write_eof()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        # A WebSocket's protocol (after an upgrade) was handed this wrapper, and writes
        # through it in order with what is held.
        self._transport.set_protocol(protocol)

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._transport.get_protocol()

    def is_reading(self) -> bool:
        return self._transport.is_reading()

    def pause_reading(self) -> None:
        self._transport.pause_reading()

    def resume_reading(self) -> None:
        self._transport.resume_reading()

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + self._held_bytes

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return self._transport.get_write_buffer_limits()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._transport.set_write_buffer_limits(high, low)


def _turn_off_nagle(transport: asyncio.BaseTransport) -> None:
    connection = transport.get_extra_info("socket")
    if connection is not None and connection.family in (socket.AF_INET, socket.AF_INET6):
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
