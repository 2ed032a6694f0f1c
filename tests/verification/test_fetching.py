"""SafeFetcher: SSRF rules, limits and caching, against mocked foreign servers and DNS."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import httpx
import pytest

from app.config import Settings
from app.verification.errors import FetchError, HttpStatusError
from app.verification.fetching import SafeFetcher, parse_cache_lifetime
from tests.verification.support import (
    FakeClock,
    FakeDns,
    Server,
    make_fetcher,
    no_dns,
    no_http,
)

ACCEPT = "application/json"


def ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"ok": True}, headers={"Content-Type": "application/json"})


async def fetch_error(fetcher: SafeFetcher, url: str, **kwargs: int) -> FetchError:
    with pytest.raises(FetchError) as caught:
        await fetcher.get(url, accept=ACCEPT, **kwargs)
    return caught.value


# -- URL rules -------------------------------------------------------------------------------------


async def test_https_url_is_fetched_with_accept_and_user_agent() -> None:
    server = Server()
    server.json("https://issuer.example/doc", {"ok": True}, {"Cache-Control": "max-age=60"})
    async with make_fetcher(server) as fetcher:
        fetched = await fetcher.get("https://issuer.example/doc", accept=ACCEPT)
    assert fetched.status == 200
    assert fetched.body == b'{"ok":true}'
    assert fetched.content_type == "application/json"
    assert fetched.max_age == 60
    request = server.requests[0]
    assert request.headers["accept"] == ACCEPT
    assert request.headers["user-agent"].startswith("Stapel-verifier/")


@pytest.mark.parametrize(
    "url", ["http://issuer.example/doc", "ftp://issuer.example/doc", "file:///etc/passwd", "doc"]
)
async def test_only_https_is_allowed(url: str) -> None:
    async with make_fetcher(no_http, dns=no_dns) as fetcher:
        error = await fetch_error(fetcher, url)
    assert error.code == "scheme_not_allowed"


async def test_userinfo_in_url_is_refused_without_echoing_it() -> None:
    async with make_fetcher(no_http, dns=no_dns) as fetcher:
        error = await fetch_error(fetcher, "https://admin:hunter2@issuer.example/doc")
    assert error.code == "invalid_url"
    assert "hunter2" not in error.detail


@pytest.mark.parametrize(
    "address",
    [
        "10.1.2.3",
        "172.16.0.9",
        "192.168.1.1",
        "127.0.0.1",
        "169.254.169.254",
        "0.0.0.0",  # noqa: S104
        "100.64.0.1",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fd00::1",
        "fe80::1%eth0",
        "fec0::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "2002:7f00:1::1",
        "64:ff9b::a00:1",
    ],
)
async def test_name_resolving_to_non_public_address_is_refused(address: str) -> None:
    dns = FakeDns({"sneaky.example": [address]})
    async with make_fetcher(no_http, dns=dns) as fetcher:
        error = await fetch_error(fetcher, "https://sneaky.example/doc")
    assert error.code == "address_not_allowed"
    assert address not in error.detail


async def test_name_refused_if_any_resolved_address_is_private() -> None:
    dns = FakeDns({"mixed.example": ["93.184.216.34", "10.0.0.7"]})
    async with make_fetcher(no_http, dns=dns) as fetcher:
        error = await fetch_error(fetcher, "https://mixed.example/doc")
    assert error.code == "address_not_allowed"


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/doc",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/doc",
        "https://[fd12:3456::1]:8443/doc",
        "https://10.0.0.1:443/doc",
    ],
)
async def test_private_ip_literal_is_refused_without_resolving(url: str) -> None:
    async with make_fetcher(no_http, dns=no_dns) as fetcher:
        error = await fetch_error(fetcher, url)
    assert error.code == "address_not_allowed"


async def test_public_ip_literal_is_allowed() -> None:
    async with make_fetcher(ok, dns=no_dns) as fetcher:
        fetched = await fetcher.get("https://93.184.216.34/doc", accept=ACCEPT)
    assert fetched.status == 200


async def test_localhost_is_refused_with_the_real_resolver() -> None:
    fetcher = SafeFetcher(
        allow_private=False,
        timeout=5,
        max_bytes=1024,
        max_redirects=0,
        max_cache_seconds=0,
        transport=httpx.MockTransport(no_http),
    )
    async with fetcher:
        error = await fetch_error(fetcher, "https://localhost/doc")
    assert error.code == "address_not_allowed"


async def test_private_addresses_and_http_allowed_when_configured() -> None:
    async with make_fetcher(ok, dns=no_dns, allow_private=True) as fetcher:
        plain = await fetcher.get("http://127.0.0.1:8000/doc", accept=ACCEPT)
        ula = await fetcher.get("https://[fd00::1]/doc", accept=ACCEPT)
    assert plain.status == ula.status == 200


async def test_unresolvable_name_is_unreachable() -> None:
    async def failing_dns(host: str, port: int) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    async with make_fetcher(no_http, dns=failing_dns) as fetcher:
        error = await fetch_error(fetcher, "https://nowhere.example/doc")
    assert error.code == "unreachable"


async def test_connection_error_is_unreachable() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async with make_fetcher(refuse) as fetcher:
        error = await fetch_error(fetcher, "https://down.example/doc")
    assert error.code == "unreachable"


async def test_read_timeout_is_a_timeout_error() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    async with make_fetcher(slow) as fetcher:
        error = await fetch_error(fetcher, "https://slow.example/doc")
    assert error.code == "timeout"


# -- redirects -------------------------------------------------------------------------------------


def redirect(to: str, status: int = 302) -> httpx.Response:
    return httpx.Response(status, headers={"Location": to})


async def test_redirect_is_followed_and_relative_location_resolved() -> None:
    server = Server()
    server.routes["https://issuer.example/old"] = lambda: redirect("/new", 301)
    server.json("https://issuer.example/new", {"moved": True})
    async with make_fetcher(server) as fetcher:
        fetched = await fetcher.get("https://issuer.example/old", accept=ACCEPT)
    assert fetched.url == "https://issuer.example/new"
    assert server.urls == ["https://issuer.example/old", "https://issuer.example/new"]


async def test_redirect_to_private_address_is_refused() -> None:
    server = Server()
    server.routes["https://issuer.example/doc"] = lambda: redirect("https://internal.example/")
    dns = FakeDns({"internal.example": ["10.0.0.5"]})
    async with make_fetcher(server, dns=dns) as fetcher:
        error = await fetch_error(fetcher, "https://issuer.example/doc")
    assert error.code == "address_not_allowed"
    assert server.urls == ["https://issuer.example/doc"]


async def test_redirect_to_metadata_ip_literal_is_refused() -> None:
    server = Server()
    server.routes["https://issuer.example/doc"] = lambda: redirect(
        "https://169.254.169.254/latest/meta-data/", 307
    )
    async with make_fetcher(server) as fetcher:
        error = await fetch_error(fetcher, "https://issuer.example/doc")
    assert error.code == "address_not_allowed"
    assert len(server.requests) == 1


async def test_redirect_downgrade_to_http_is_refused() -> None:
    server = Server()
    server.routes["https://issuer.example/doc"] = lambda: redirect("http://issuer.example/doc")
    async with make_fetcher(server) as fetcher:
        error = await fetch_error(fetcher, "https://issuer.example/doc")
    assert error.code == "scheme_not_allowed"


async def test_redirects_up_to_the_limit_are_followed() -> None:
    server = Server()
    server.routes["https://a.example/0"] = lambda: redirect("https://a.example/1")
    server.routes["https://a.example/1"] = lambda: redirect("https://a.example/2", 308)
    server.json("https://a.example/2", {"ok": True})
    async with make_fetcher(server, max_redirects=2) as fetcher:
        fetched = await fetcher.get("https://a.example/0", accept=ACCEPT)
    assert fetched.url == "https://a.example/2"


async def test_redirect_loop_stops_at_the_limit() -> None:
    def loop(request: httpx.Request) -> httpx.Response:
        return redirect(str(request.url))

    calls: list[httpx.Request] = []

    def counting(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return loop(request)

    async with make_fetcher(counting, max_redirects=2) as fetcher:
        error = await fetch_error(fetcher, "https://a.example/loop")
    assert error.code == "too_many_redirects"
    assert len(calls) == 3


# -- status and size -------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [404, 500, 304, 302])
async def test_non_2xx_final_status_is_an_error(status: int) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, text="nope")

    async with make_fetcher(answer) as fetcher:
        error = await fetch_error(fetcher, "https://issuer.example/doc")
    assert error.code == "http_status"
    assert isinstance(error, HttpStatusError)
    assert error.status == status
    assert str(status) in error.detail


async def test_declared_content_length_over_limit_is_refused_before_reading() -> None:
    streamed: list[int] = []

    async def body() -> AsyncIterator[bytes]:
        streamed.append(1)
        yield b"x" * 10

    def big(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Length": "5000"}, content=body())

    async with make_fetcher(big, max_bytes=1024) as fetcher:
        error = await fetch_error(fetcher, "https://issuer.example/big")
    assert error.code == "too_large"
    assert streamed == []


class LyingStream(httpx.AsyncByteStream):
    """A body of many 512-byte chunks behind a ``Content-Length: 10``; counts what was pulled."""

    def __init__(self, chunks: int) -> None:
        self.chunks = chunks
        self.pulled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(self.chunks):
            self.pulled += 1
            yield b"x" * 512


async def test_body_lying_about_its_length_is_cut_off_while_streaming() -> None:
    stream = LyingStream(chunks=1000)

    def liar(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Length": "10"}, stream=stream)

    async with make_fetcher(liar, max_bytes=1024) as fetcher:
        error = await fetch_error(fetcher, "https://issuer.example/liar")
    assert error.code == "too_large"
    assert stream.pulled <= 3


async def test_body_exactly_at_limit_is_accepted() -> None:
    def exact(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"x" * 1024)

    async with make_fetcher(exact, max_bytes=1024) as fetcher:
        fetched = await fetcher.get("https://issuer.example/exact", accept=ACCEPT)
    assert len(fetched.body) == 1024


# -- caching ---------------------------------------------------------------------------------------


def counting_server(headers: dict[str, str]) -> Server:
    server = Server()
    server.json("https://issuer.example/doc", {"n": 1}, headers)
    return server


async def test_cache_honours_max_age() -> None:
    clock = FakeClock()
    server = counting_server({"Cache-Control": "public, max-age=60"})
    async with make_fetcher(server, clock=clock) as fetcher:
        await fetcher.get("https://issuer.example/doc", accept=ACCEPT)
        clock.advance(59)
        cached = await fetcher.get("https://issuer.example/doc", accept=ACCEPT)
        assert len(server.requests) == 1
        assert cached.max_age == 1
        clock.advance(2)
        await fetcher.get("https://issuer.example/doc", accept=ACCEPT)
    assert len(server.requests) == 2


async def test_cache_is_per_accept_header() -> None:
    server = counting_server({"Cache-Control": "max-age=60"})
    async with make_fetcher(server) as fetcher:
        await fetcher.get("https://issuer.example/doc", accept=ACCEPT)
        await fetcher.get("https://issuer.example/doc", accept="application/did+json")
    assert len(server.requests) == 2


@pytest.mark.parametrize("cache_control", ["no-store", "max-age=60, no-cache", "max-age=0"])
async def test_uncacheable_responses_are_fetched_every_time(cache_control: str) -> None:
    server = counting_server({"Cache-Control": cache_control})
    async with make_fetcher(server) as fetcher:
        first = await fetcher.get("https://issuer.example/doc", accept=ACCEPT, default_max_age=300)
        await fetcher.get("https://issuer.example/doc", accept=ACCEPT, default_max_age=300)
        assert not fetcher.remember("https://issuer.example/doc", ACCEPT, 300)
    assert first.max_age == 0
    assert len(server.requests) == 2


async def test_cache_lifetime_is_capped_by_configuration() -> None:
    clock = FakeClock()
    server = counting_server({"Cache-Control": "max-age=86400"})
    async with make_fetcher(server, clock=clock, max_cache_seconds=10) as fetcher:
        first = await fetcher.get("https://issuer.example/doc", accept=ACCEPT)
        clock.advance(11)
        await fetcher.get("https://issuer.example/doc", accept=ACCEPT)
    assert first.max_age == 10
    assert len(server.requests) == 2


async def test_response_without_cache_control_is_not_cached_by_default() -> None:
    server = counting_server({})
    async with make_fetcher(server) as fetcher:
        first = await fetcher.get("https://issuer.example/doc", accept=ACCEPT)
        await fetcher.get("https://issuer.example/doc", accept=ACCEPT)
    assert first.max_age == 0
    assert len(server.requests) == 2


async def test_default_max_age_applies_without_cache_control() -> None:
    clock = FakeClock()
    server = counting_server({})
    async with make_fetcher(server, clock=clock) as fetcher:
        first = await fetcher.get("https://issuer.example/doc", accept=ACCEPT, default_max_age=30)
        clock.advance(29)
        await fetcher.get("https://issuer.example/doc", accept=ACCEPT, default_max_age=30)
        assert len(server.requests) == 1
        clock.advance(2)
        await fetcher.get("https://issuer.example/doc", accept=ACCEPT, default_max_age=30)
    assert first.max_age == 30
    assert len(server.requests) == 2


async def test_remember_extends_lifetime_counted_from_the_fetch() -> None:
    clock = FakeClock()
    server = counting_server({})
    async with make_fetcher(server, clock=clock) as fetcher:
        await fetcher.get("https://issuer.example/doc", accept=ACCEPT)
        clock.advance(5)
        assert fetcher.remember("https://issuer.example/doc", ACCEPT, 120)
        cached = await fetcher.get("https://issuer.example/doc", accept=ACCEPT)
        assert cached.max_age == 115
        assert len(server.requests) == 1
        clock.advance(116)
        await fetcher.get("https://issuer.example/doc", accept=ACCEPT)
    assert len(server.requests) == 2


async def test_remember_is_capped_and_zero_forgets() -> None:
    clock = FakeClock()
    server = counting_server({})
    async with make_fetcher(server, clock=clock, max_cache_seconds=10) as fetcher:
        await fetcher.get("https://issuer.example/doc", accept=ACCEPT)
        fetcher.remember("https://issuer.example/doc", ACCEPT, 3600)
        clock.advance(11)
        await fetcher.get("https://issuer.example/doc", accept=ACCEPT)
        fetcher.remember("https://issuer.example/doc", ACCEPT, 0)
        assert not fetcher.remember("https://issuer.example/doc", ACCEPT, 60)
    assert len(server.requests) == 2


async def test_remember_unknown_url_reports_false() -> None:
    async with make_fetcher(no_http) as fetcher:
        assert not fetcher.remember("https://issuer.example/never", ACCEPT, 60)


async def test_errors_are_not_cached() -> None:
    answers = [
        httpx.Response(503),
        httpx.Response(200, json={}, headers={"Cache-Control": "max-age=60"}),
    ]

    def flaky(request: httpx.Request) -> httpx.Response:
        return answers.pop(0)

    async with make_fetcher(flaky) as fetcher:
        error = await fetch_error(fetcher, "https://issuer.example/doc")
        fetched = await fetcher.get("https://issuer.example/doc", accept=ACCEPT)
    assert error.code == "http_status"
    assert fetched.status == 200


async def test_cache_evicts_oldest_entry_beyond_its_size() -> None:
    server = Server()
    for name in ("a", "b", "c"):
        server.json(f"https://issuer.example/{name}", {}, {"Cache-Control": "max-age=60"})
    async with make_fetcher(server, max_cache_entries=2) as fetcher:
        for name in ("a", "b", "c", "c", "b", "a"):
            await fetcher.get(f"https://issuer.example/{name}", accept=ACCEPT)
    assert [url.rsplit("/", 1)[1] for url in server.urls] == ["a", "b", "c", "a"]


async def test_concurrent_gets_of_same_url_share_one_request() -> None:
    entered = asyncio.Event()
    release = asyncio.Event()
    calls: list[httpx.Request] = []

    async def held(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        entered.set()
        await release.wait()
        return httpx.Response(200, json={"shared": True})

    async with make_fetcher(held) as fetcher:
        first = asyncio.create_task(fetcher.get("https://issuer.example/doc", accept=ACCEPT))
        await entered.wait()
        second = asyncio.create_task(fetcher.get("https://issuer.example/doc", accept=ACCEPT))
        await asyncio.sleep(0)
        release.set()
        results = await asyncio.gather(first, second)
    assert len(calls) == 1
    assert results[0] == results[1]


async def test_concurrent_waiter_gets_the_shared_error() -> None:
    entered = asyncio.Event()
    release = asyncio.Event()

    async def held(request: httpx.Request) -> httpx.Response:
        entered.set()
        await release.wait()
        return httpx.Response(500)

    async with make_fetcher(held) as fetcher:
        first = asyncio.create_task(fetcher.get("https://issuer.example/doc", accept=ACCEPT))
        await entered.wait()
        second = asyncio.create_task(fetcher.get("https://issuer.example/doc", accept=ACCEPT))
        await asyncio.sleep(0)
        release.set()
        results = await asyncio.gather(first, second, return_exceptions=True)
    assert [getattr(result, "code", None) for result in results] == ["http_status"] * 2


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, None),
        ({"Cache-Control": "max-age=60"}, 60),
        ({"Cache-Control": "max-age=60, s-maxage=30"}, 30),
        ({"Cache-Control": 'max-age="45"'}, 45),
        ({"Cache-Control": "MAX-AGE=60", "Age": "20"}, 40),
        ({"Cache-Control": "max-age=60", "Age": "90"}, 0),
        ({"Cache-Control": "max-age=-5"}, 0),
        ({"Cache-Control": "max-age=soon"}, 0),
        ({"Cache-Control": "public"}, 0),
        ({"Cache-Control": "max-age=60, no-store"}, 0),
    ],
)
def test_cache_lifetime_parsing(headers: dict[str, str], expected: int | None) -> None:
    assert parse_cache_lifetime(httpx.Headers(headers)) == expected


async def test_from_settings_takes_fetch_settings() -> None:
    settings = Settings(
        database_url="postgresql://unused/unused",
        fetch_allow_private_addresses=True,
        fetch_max_bytes=2048,
        fetch_max_redirects=1,
    )
    async with SafeFetcher.from_settings(settings, transport=httpx.MockTransport(ok)) as fetcher:
        assert fetcher.allow_private
        fetched = await fetcher.get("http://127.0.0.1:8000/doc", accept=ACCEPT)
    assert fetched.status == 200
