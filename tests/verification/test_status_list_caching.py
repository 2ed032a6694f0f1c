"""A foreign status list is kept as long as its own ttl says, even without Cache-Control."""

from __future__ import annotations

from typing import Any

import httpx

from app.verification.fetching import SafeFetcher
from app.verification.local import StatusLists

URL = "https://issuer.example/status/1"


async def _public(host: str, port: int) -> list[str]:
    del host, port
    return ["93.184.216.34"]


async def test_remembered_ttl_keeps_a_list_without_cache_control() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        return httpx.Response(200, text="a.b.c", headers={"Content-Type": "application/vc+jwt"})

    fetcher = SafeFetcher(
        allow_private=False,
        timeout=5,
        max_bytes=65536,
        max_redirects=0,
        max_cache_seconds=3600,
        transport=httpx.MockTransport(handler),
        resolve_host=_public,
    )
    session: Any = None  # foreign lists never touch the database
    lists = StatusLists(session, fetcher)
    async with fetcher:
        assert await lists.fetch(URL) == "a.b.c"
        assert await lists.fetch(URL) == "a.b.c"
        assert len(calls) == 2  # neither Cache-Control nor ttl known: fetched again
        lists.remember(URL, 600)
        assert await lists.fetch(URL) == "a.b.c"
    assert len(calls) == 2
