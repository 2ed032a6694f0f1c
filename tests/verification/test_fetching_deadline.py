"""SafeFetcher's one deadline per fetch, against real slow servers on a loopback socket."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from app.verification.errors import FetchError
from app.verification.fetching import SafeFetcher

TIMEOUT = 1.0
SLACK = 0.5
ACCEPT = "application/json"

Answer = Callable[[str, asyncio.StreamWriter], Awaitable[None]]


async def _serve(answer: Answer) -> AsyncIterator[str]:
    """A bare HTTP/1.1 server: ``answer`` gets each request's path and the writer."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                path = head.split(b" ", 2)[1].decode()
                await answer(path, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"http://127.0.0.1:{port}"
        server.close()


@pytest.fixture
async def slow_redirects() -> AsyncIterator[str]:
    """Every answer takes 0.4 s and redirects to the next hop: each hop well inside TIMEOUT."""

    async def answer(path: str, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(0.4)
        hop = int(path.rsplit("/", 1)[1])
        writer.write(
            f"HTTP/1.1 302 Found\r\nLocation: /hop/{hop + 1}\r\nContent-Length: 0\r\n\r\n".encode()
        )
        await writer.drain()

    async for base in _serve(answer):
        yield base


@pytest.fixture
async def dripping() -> AsyncIterator[str]:
    """Answers at once, then drips its body a byte every 0.1 s: no read ever times out."""

    async def answer(path: str, writer: asyncio.StreamWriter) -> None:
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
        )
        for _ in range(100):
            writer.write(b" ")
            await writer.drain()
            await asyncio.sleep(0.1)

    async for base in _serve(answer):
        yield base


def _fetcher(max_redirects: int = 10) -> SafeFetcher:
    return SafeFetcher(
        allow_private=True,
        timeout=TIMEOUT,
        max_bytes=65536,
        max_redirects=max_redirects,
        max_cache_seconds=0,
    )


async def _timed_error(url: str) -> tuple[FetchError, float]:
    started = time.monotonic()
    async with _fetcher() as fetcher:
        with pytest.raises(FetchError) as caught:
            await fetcher.get(url, accept=ACCEPT)
    return caught.value, time.monotonic() - started


async def test_a_chain_of_slow_redirects_is_cut_off_by_one_deadline(slow_redirects: str) -> None:
    # Ten hops of 0.4 s each would take 4 s; a timeout per hop would never fire.
    error, took = await _timed_error(f"{slow_redirects}/hop/0")
    assert error.code == "timeout"
    assert TIMEOUT <= took < TIMEOUT + SLACK


async def test_a_body_dripped_slowly_is_cut_off_by_the_deadline(dripping: str) -> None:
    error, took = await _timed_error(f"{dripping}/doc")
    assert error.code == "timeout"
    assert TIMEOUT <= took < TIMEOUT + SLACK


async def test_a_quick_redirect_chain_within_the_deadline_is_followed() -> None:
    async def quick(path: str, writer: asyncio.StreamWriter) -> None:
        hop = int(path.rsplit("/", 1)[1])
        if hop < 3:
            head = f"HTTP/1.1 302 Found\r\nLocation: /hop/{hop + 1}\r\nContent-Length: 0\r\n\r\n"
            writer.write(head.encode())
        else:
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
            )
        await writer.drain()

    async for base in _serve(quick):
        async with _fetcher(max_redirects=3) as fetcher:
            fetched = await fetcher.get(f"{base}/hop/0", accept=ACCEPT)
        assert fetched.body == b"{}"
        assert fetched.url.endswith("/hop/3")
