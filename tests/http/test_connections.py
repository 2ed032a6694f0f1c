"""A served process under slow and oversized requests, spoken to over raw sockets; and the
protocol's connections on a listener bound as ``--workers N`` binds it."""

from __future__ import annotations

import asyncio
import select
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from starlette.types import Receive, Scope, Send
from uvicorn.server import ServerState

from app.http.connections import BoundedHeadProtocol
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
