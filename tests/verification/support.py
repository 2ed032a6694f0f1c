"""Test doubles for what is outside our control (foreign servers through MockTransport, DNS),
and for this instance's issuers where a test needs no database."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from app.verification.fetching import SafeFetcher

PUBLIC_ADDRESS = "93.184.216.34"

Handler = (
    Callable[[httpx.Request], httpx.Response]
    | Callable[[httpx.Request], Coroutine[None, None, httpx.Response]]
)


@dataclass
class FakeClock:
    """An injectable monotonic clock that only moves when told to."""

    now: float = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class FakeDns:
    """Answers host names from a table; anything else resolves to a public address."""

    table: dict[str, list[str]] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        return self.table.get(host, [PUBLIC_ADDRESS])


@dataclass
class Server:
    """A MockTransport handler serving fixed responses by URL and recording every request."""

    routes: dict[str, Callable[[], httpx.Response]] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        route = self.routes.get(str(request.url))
        if route is None:
            return httpx.Response(404, text="not found")
        return route()

    def json(self, url: str, payload: object, headers: dict[str, str] | None = None) -> None:
        self.routes[url] = lambda: httpx.Response(200, json=payload, headers=headers)

    def raw(self, url: str, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.routes[url] = lambda: httpx.Response(200, content=body, headers=headers)

    @property
    def urls(self) -> list[str]:
        return [str(request.url) for request in self.requests]


def no_http(request: httpx.Request) -> httpx.Response:
    pytest.fail(f"unexpected HTTP request to {request.url}")


async def no_dns(host: str, port: int) -> list[str]:
    pytest.fail(f"unexpected name resolution of {host}")


def make_fetcher(
    handler: Handler,
    *,
    dns: Callable[[str, int], Awaitable[list[str]]] | None = None,
    allow_private: bool = False,
    clock: FakeClock | None = None,
    max_bytes: int = 1_048_576,
    max_redirects: int = 2,
    max_cache_seconds: int = 3600,
    max_cache_entries: int = 1024,
) -> SafeFetcher:
    return SafeFetcher(
        allow_private=allow_private,
        timeout=5.0,
        max_bytes=max_bytes,
        max_redirects=max_redirects,
        max_cache_seconds=max_cache_seconds,
        transport=httpx.MockTransport(handler),
        resolve_host=dns or FakeDns(),
        clock=clock or FakeClock(),
        max_cache_entries=max_cache_entries,
    )


@dataclass
class FakeLocal:
    """In-memory stand-in for this instance's issuers (the real one reads the database)."""

    documents: dict[str, dict[str, Any]] = field(default_factory=dict)
    keys: dict[str, dict[str, Any]] = field(default_factory=dict)

    def is_local_did(self, did: str) -> bool:
        return did.startswith("did:web:stapel.test:")

    async def did_document(self, did: str) -> dict[str, Any] | None:
        return self.documents.get(did)

    def is_local_url(self, url: str) -> bool:
        return url.startswith("https://stapel.test/")

    async def jwk_at(self, url: str) -> dict[str, Any] | None:
        return self.keys.get(url)
