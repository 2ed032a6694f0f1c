"""A served process under slow and oversized requests, spoken to over raw sockets; and the
protocol's connections on a listener bound as ``--workers N`` binds it."""

from __future__ import annotations

import asyncio
import select
import socket
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
import uvicorn
import websockets
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.server import ServerState

from app.http.connections import MOST_HELD_BYTES, BoundedHeadProtocol
from tests.serving import LOOPBACK, free_port, serve_command, served

HEAD_SECONDS = 1.0
BODY_SECONDS = 1.0
SLACK = 1.5  # the server's timers and a busy machine
HUGE = 200 * 1_048_576
ROUTE = "/v1/achievements"


@pytest.fixture(scope="module")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """`stapel serve` with short deadlines; its pid and port."""
    port = free_port()
    output: Path = tmp_path_factory.mktemp("serve") / "serve.log"
    env = {
        "STAPEL_REQUEST_HEADER_TIMEOUT_SECONDS": str(HEAD_SECONDS),
        "STAPEL_REQUEST_BODY_TIMEOUT_SECONDS": str(BODY_SECONDS),
    }
    with served(serve_command(port), port, output, env=env) as (process, _):
        yield port
        assert process.poll() is None, output.read_text()


@pytest.fixture(scope="module")
def server_pid(server: int) -> int:
    return _listening_pid(server)


def _listening_pid(port: int) -> int:
    """The pid of the process listening on ``port`` (the only uvicorn process with one worker)."""
    inode = next(
        fields[9]
        for fields in (line.split() for line in Path("/proc/net/tcp").read_text().splitlines()[1:])
        if int(fields[1].split(":")[1], 16) == port and fields[3] == "0A"
    )
    for fd in Path("/proc").glob("[0-9]*/fd/*"):
        try:
            if fd.readlink().name == f"socket:[{inode}]":
                return int(fd.parts[2])
        except OSError:
            continue
    raise AssertionError("no process listens on the port")


def _rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def _connect(port: int) -> socket.socket:
    sock = socket.create_connection((LOOPBACK, port), timeout=10)
    sock.settimeout(10)
    return sock


def _closed_by_server(sock: socket.socket, within: float) -> bool:
    """Whether the server closes ``sock`` within ``within`` seconds (reading what it sends)."""
    deadline = time.monotonic() + within
    while (left := deadline - time.monotonic()) > 0:
        readable, _, _ = select.select([sock], [], [], left)
        if readable:
            try:
                if not sock.recv(65536):
                    return True
            except ConnectionResetError:
                return True
    return False


def _response(sock: socket.socket) -> bytes:
    received = b""
    while b"\r\n\r\n" not in received:
        piece = sock.recv(65536)
        if not piece:
            break
        received += piece
    return received


def _head(method: str, path: str, *headers: str) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: stapel.test", *headers, "", ""]
    return "\r\n".join(lines).encode()


def test_half_open_connections_are_closed_within_the_header_deadline(server: int) -> None:
    silent = [_connect(server) for _ in range(25)]
    partial = [_connect(server) for _ in range(25)]
    for sock in partial:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: stapel.test\r\n")  # never finished
    started = time.monotonic()
    try:
        assert all(_closed_by_server(sock, HEAD_SECONDS + SLACK) for sock in silent + partial)
        assert time.monotonic() - started < HEAD_SECONDS + SLACK
    finally:
        for sock in silent + partial:
            sock.close()


def test_a_trickled_head_does_not_outlive_the_deadline(server: int) -> None:
    with _connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\n")
        started = time.monotonic()
        for number in range(20):  # a header line now and then, each inside any idle timeout
            try:
                sock.sendall(f"X-Slow-{number}: 1\r\n".encode())
            except OSError:
                break
            if _closed_by_server(sock, 0.3):
                break
        assert time.monotonic() - started < HEAD_SECONDS + SLACK


def test_a_head_too_large_is_refused_with_431(server: int) -> None:
    with _connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: stapel.test\r\n")
        try:
            for _ in range(20):
                sock.sendall(b"X-Padding: " + b"p" * 8000 + b"\r\n")
        except OSError:
            pass
        assert _response(sock).startswith(b"HTTP/1.1 431 ")


def test_a_slow_body_is_answered_408_within_the_body_deadline(server: int) -> None:
    with _connect(server) as sock:
        sock.sendall(
            _head("POST", ROUTE, "Content-Type: application/json", "Content-Length: 1000")
            + b'{"title": '
        )
        started = time.monotonic()
        answer = _response(sock)
        assert answer.startswith(b"HTTP/1.1 408 "), answer
        assert b"application/problem+json" in answer
        assert time.monotonic() - started < BODY_SECONDS + SLACK
        assert _closed_by_server(sock, SLACK)


def test_a_declared_200_mb_body_is_refused_before_it_is_sent(server: int) -> None:
    with _connect(server) as sock:
        sock.sendall(
            _head("POST", ROUTE, "Content-Type: application/json", f"Content-Length: {HUGE}")
        )
        answer = _response(sock)
        assert answer.startswith(b"HTTP/1.1 413 "), answer


def test_a_chunked_200_mb_body_is_refused_and_memory_does_not_grow(
    server: int, server_pid: int
) -> None:
    before = _rss_bytes(server_pid)
    chunk = b"x" * 65536
    framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    sent = 0
    answer = b""
    with _connect(server) as sock:
        sock.sendall(
            _head("POST", ROUTE, "Content-Type: application/json", "Transfer-Encoding: chunked")
        )
        sock.setblocking(False)
        while sent < HUGE:
            readable, writable, _ = select.select([sock], [sock], [], 5)
            if readable:
                answer = sock.recv(65536)
                break
            if not writable:
                break
            try:
                sent += sock.send(framed)
            except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                break
        sock.setblocking(True)
        if not answer:
            answer = _response(sock)
    grown = _rss_bytes(server_pid) - before
    assert answer.startswith(b"HTTP/1.1 413 "), answer
    assert sent < 20 * 1_048_576  # refused after the first MiB; the rest sat in socket buffers
    assert grown < 20 * 1_048_576, f"the server grew by {grown} bytes"


def _healthz_answered(sock: socket.socket) -> bool:
    sock.sendall(_head("GET", "/healthz"))
    received = b""
    while b'{"status":"ok"}' not in received:
        piece = sock.recv(65536)
        if not piece:
            return False
        received += piece
    return received.startswith(b"HTTP/1.1 200 ")


def test_a_busy_keep_alive_connection_outlives_the_header_deadline(server: int) -> None:
    # Each head arrives well within the deadline of the answer before it, over a span of
    # several deadlines: the connection's one timer must move on with the requests.
    with _connect(server) as sock:
        started = time.monotonic()
        answered = 0
        while time.monotonic() - started < 3 * HEAD_SECONDS:
            assert _healthz_answered(sock), f"closed after {answered} requests"
            answered += 1
            time.sleep(HEAD_SECONDS / 3)
        assert not _closed_by_server(sock, 0)


def test_a_keep_alive_connection_idle_after_an_answer_is_closed_within_the_header_deadline(
    server: int,
) -> None:
    # Uvicorn's own keep-alive timeout (5 s) is longer: only the head deadline closes it this soon.
    with _connect(server) as sock:
        time.sleep(HEAD_SECONDS / 2)  # part of the first deadline used up, then a request
        assert _healthz_answered(sock)
        answered = time.monotonic()
        assert _closed_by_server(sock, HEAD_SECONDS + SLACK)
        assert time.monotonic() - answered > HEAD_SECONDS / 2


async def _no_app(scope: Scope, receive: Receive, send: Send) -> None:
    raise AssertionError("no request is sent")


async def test_connections_on_a_listener_bound_for_several_workers_have_nagle_off() -> None:
    # With --workers N uvicorn binds the listening socket itself and hands it to each process;
    # asyncio then leaves Nagle's algorithm on for the connections it accepts.
    config = uvicorn.Config(
        _no_app, host=LOOPBACK, port=0, http=BoundedHeadProtocol, lifespan="off", log_config=None
    )
    config.load()
    listener = config.bind_socket()
    accepted: asyncio.Queue[asyncio.BaseTransport] = asyncio.Queue()

    class Observed(BoundedHeadProtocol):
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            accepted.put_nowait(transport)

    def protocol() -> Observed:
        return Observed(config=config, server_state=ServerState(), app_state={})

    server = await asyncio.get_running_loop().create_server(protocol, sock=listener)
    try:
        _, writer = await asyncio.open_connection(*listener.getsockname()[:2])
        transport = await asyncio.wait_for(accepted.get(), timeout=10)
        connection = transport.get_extra_info("socket")
        assert connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        transport.close()
        writer.close()
    finally:
        server.close()
        await server.wait_closed()


# --- answers in one write ---------------------------------------------------------------------


class _Listener:
    """The protocol served on a loopback port over ``app``, with every write that reaches an
    accepted connection's transport recorded, in order, per connection."""

    def __init__(self, app: ASGIApp) -> None:
        self.config = uvicorn.Config(
            app, host=LOOPBACK, port=0, http=BoundedHeadProtocol, lifespan="off", log_config=None
        )
        self.config.load()
        self.state = ServerState()
        self.writes: list[bytes] = []
        self.server: asyncio.Server | None = None

    def protocol(self) -> BoundedHeadProtocol:
        writes = self.writes

        class Recorded(BoundedHeadProtocol):
            def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
                handed_on = transport.write

                def write(data: bytes | bytearray | memoryview) -> None:
                    writes.append(bytes(data))
                    handed_on(data)

                transport.write = write  # type: ignore[method-assign]
                super().connection_made(transport)

        return Recorded(config=self.config, server_state=self.state, app_state={})

    async def __aenter__(self) -> tuple[str, int]:
        self.server = await asyncio.get_running_loop().create_server(
            self.protocol, host=LOOPBACK, port=0
        )
        return LOOPBACK, self.server.sockets[0].getsockname()[1]

    async def __aexit__(self, *_: object) -> None:
        assert self.server is not None
        self.server.close()
        for connection in list(self.state.connections):
            connection.shutdown()
        await self.server.wait_closed()


async def _exchange(address: tuple[str, int], request: bytes) -> bytes:
    """Send ``request`` on a new connection and read until the server closes it."""
    reader, writer = await asyncio.open_connection(*address)
    writer.write(request)
    try:
        return await asyncio.wait_for(reader.read(), timeout=10)
    finally:
        writer.close()


async def _ask(address: tuple[str, int], path: str) -> bytes:
    """One keep-alive request and its answer (of a declared length); the connection stays
    open until the answer has been read."""
    reader, writer = await asyncio.open_connection(*address)
    writer.write(_head("GET", path))
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=10)
        length = next(
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        return head + await asyncio.wait_for(reader.readexactly(length), timeout=10)
    finally:
        writer.close()


class _BesideSlow:
    """An app answering through ``answer`` while a request to /slow, sent first, is in flight:
    /slow is answered only after the other answer has been written. ``handed_on`` notes how
    many writes had reached the socket's transport when that answer's last write returned."""

    def __init__(self, answer: Callable[[Send], Awaitable[None]]) -> None:
        self.answer = answer
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.handed_on: list[int] = []
        self.listener = _Listener(self)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] == "/slow":
            self.started.set()
            await self.release.wait()
            await _plain(send, b"slow")
            return
        await self.answer(send)
        self.handed_on.append(len(self.listener.writes))
        self.release.set()

    async def ask(self, path: str) -> bytes:
        async with self.listener as address:
            slow = asyncio.create_task(_ask(address, "/slow"))
            await self.started.wait()
            answer = await _ask(address, path)
            await slow
        return answer


def _get(path: str) -> bytes:
    return _head("GET", path, "Connection: close")


async def _plain(send: Send, body: bytes, *headers: tuple[bytes, bytes]) -> None:
    length = (b"content-length", str(len(body)).encode())
    await send({"type": "http.response.start", "status": 200, "headers": [length, *headers]})
    await send({"type": "http.response.body", "body": body})


async def test_an_answer_leaves_in_one_write_with_its_head() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await _plain(send, b"one answer")

    listener = _Listener(app)
    async with listener as address:
        answer = await _exchange(address, _get("/"))
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert answer.endswith(b"\r\n\r\none answer")
    assert listener.writes == [answer]


async def test_an_answer_leaves_as_it_completes_when_no_other_request_is_in_flight() -> None:
    handed_on: list[int] = []
    listener: _Listener

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await _plain(send, b"alone")
        handed_on.append(len(listener.writes))  # before the rest of the request's handling

    listener = _Listener(app)
    async with listener as address:
        await _ask(address, "/")
    assert handed_on == [1]


async def test_answers_completed_while_others_are_in_flight_leave_in_the_next_turn() -> None:
    # Under load the answers of one turn leave together after it: the client, woken by the
    # first, reads the others without being woken for each.
    beside = _BesideSlow(lambda send: _plain(send, b"fast"))
    fast = await beside.ask("/fast")
    assert fast.endswith(b"\r\n\r\nfast")
    assert beside.handed_on == [0]  # held while /slow was in flight, then sent in one write
    assert beside.listener.writes[0] == fast


async def test_a_streamed_answer_arrives_whole_and_in_order() -> None:
    pieces = [f"piece {n};".encode() for n in range(20)]

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for piece in pieces:
            await send({"type": "http.response.body", "body": piece, "more_body": True})
            await asyncio.sleep(0)
        await send({"type": "http.response.body", "body": b""})

    listener = _Listener(app)
    async with listener as address:
        answer = await _exchange(address, _get("/"))
    _, _, chunked = answer.partition(b"\r\n\r\n")
    body = b""
    while True:
        size, _, rest = chunked.partition(b"\r\n")
        length = int(size, 16)
        if not length:
            break
        body, chunked = body + rest[:length], rest[length + 2 :]
    assert body == b"".join(pieces)


async def test_a_large_write_is_handed_on_at_once() -> None:
    # So that the transport's flow control sees a large body as it is written.
    large = b"x" * MOST_HELD_BYTES
    handed_on: list[int] = []
    listener: _Listener

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        handed_on.append(len(listener.writes))
        await send({"type": "http.response.body", "body": large, "more_body": True})
        handed_on.append(len(listener.writes))
        await send({"type": "http.response.body", "body": b""})

    listener = _Listener(app)
    async with listener as address:
        answer = await _exchange(address, _get("/"))
    assert handed_on == [0, 1]
    assert large in answer


async def test_what_is_held_leaves_before_the_connection_is_closed() -> None:
    # Held, since /slow is in flight; Connection: close makes uvicorn close the transport right
    # after the body's write, before the next turn would have sent it.
    beside = _BesideSlow(lambda send: _plain(send, b"last words", (b"connection", b"close")))
    answer = await beside.ask("/closing")
    assert beside.handed_on == [1]
    assert answer.endswith(b"\r\n\r\nlast words")


async def test_a_websocket_upgraded_from_a_connection_still_talks() -> None:
    # The upgrade hands the wrapped transport to uvicorn's WebSocket protocol: its handshake
    # answer and frames go through the same held writes.
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "websocket"
        assert (await receive())["type"] == "websocket.connect"
        await send({"type": "websocket.accept"})
        message = await receive()
        await send({"type": "websocket.send", "text": f"echo: {message['text']}"})
        await send({"type": "websocket.close", "code": 1000})

    listener = _Listener(app)
    async with (
        listener as (host, port),
        websockets.connect(f"ws://{host}:{port}/socket", open_timeout=10) as socket_,
    ):
        await socket_.send("hello")
        assert await asyncio.wait_for(socket_.recv(), timeout=10) == "echo: hello"
    assert listener.writes[0].startswith(b"HTTP/1.1 101 ")
