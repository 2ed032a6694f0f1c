"""429 with Retry-After for each kind of rate limit, and requests again once the bucket refills."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.config import Settings
from app.http.rate_limits import RateLimits, TokenBuckets
from tests.credentials.helpers import issue, published_achievement
from tests.factories import Tenant
from tests.oid4vci.holder import fetch_offer, make_offer, pre_authorized_code, token_response
from tests.serving import free_port, serve_command, served
from tests.verification.support import FakeClock

PER_MINUTE = 3  # a token every 20 s


@pytest.fixture
def clock(app: FastAPI) -> Iterator[FakeClock]:
    """Small limits on a clock the test moves, instead of the suite's limits (off)."""
    clock = FakeClock()
    kept = app.state.rate_limits
    app.state.rate_limits = RateLimits(
        api_keys=TokenBuckets(PER_MINUTE, 100, clock),
        public=TokenBuckets(PER_MINUTE, 100, clock),
        offers=TokenBuckets(PER_MINUTE, 100, clock),
        auth_failures=TokenBuckets(PER_MINUTE, 100, clock),
    )
    yield clock
    app.state.rate_limits = kept


def assert_limited(response: httpx.Response, retry_after: int = 20) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "rate_limited"
    assert response.headers["retry-after"] == str(retry_after)


PUBLIC_REQUESTS: list[tuple[str, str, dict[str, Any]]] = [
    ("POST", "/v1/verify", {"json": {"credential": "not.a.jwt"}}),
    ("POST", "/graphql", {"json": {"query": "{ institutions { slug } }"}}),
    ("POST", "/credentials/verify", {"json": {"verifiableCredential": {}}}),
    ("POST", "/presentations/verify", {"json": {"verifiablePresentation": {}}}),
    ("GET", "/verify", {}),
    ("GET", "/c/unknown-public-id", {}),
]


@pytest.mark.parametrize(("method", "path", "options"), PUBLIC_REQUESTS)
async def test_public_routes_are_limited_per_client_address(
    client: httpx.AsyncClient, clock: FakeClock, method: str, path: str, options: dict[str, Any]
) -> None:
    for _ in range(PER_MINUTE):
        assert (await client.request(method, path, **options)).status_code != 429
    assert_limited(await client.request(method, path, **options))
    # A forged X-Forwarded-For from an untrusted client is not another address.
    forged = await client.request(
        method, path, headers={"X-Forwarded-For": "198.51.100.7"}, **options
    )
    assert_limited(forged)
    clock.advance(20)
    assert (await client.request(method, path, **options)).status_code != 429
    assert_limited(await client.request(method, path, **options))


async def test_the_public_limit_is_per_address(app: FastAPI, clock: FakeClock) -> None:
    async def ask(address: str) -> int:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="https://stapel.test") as http:
            return (await http.get("/verify")).status_code

    for _ in range(PER_MINUTE):
        assert await ask("192.0.2.1") == 200
    assert await ask("192.0.2.1") == 429
    assert await ask("192.0.2.2") == 200


async def test_authenticated_routes_are_limited_per_api_key(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant, clock: FakeClock
) -> None:
    for _ in range(PER_MINUTE):
        assert (await client.get("/v1/achievements", headers=tenant.headers)).status_code == 200
    assert_limited(await client.get("/v1/achievements", headers=tenant.headers))
    assert (await client.get("/v1/achievements", headers=other_tenant.headers)).status_code == 200
    clock.advance(20)
    assert (await client.get("/v1/achievements", headers=tenant.headers)).status_code == 200


async def test_failed_api_key_attempts_are_limited_per_client_address(
    client: httpx.AsyncClient, tenant: Tenant, clock: FakeClock
) -> None:
    wrong = {"Authorization": f"Bearer {tenant.token[:-4]}abcd"}
    for _ in range(PER_MINUTE):
        assert (await client.get("/v1/achievements", headers=wrong)).status_code == 401
    assert_limited(await client.get("/v1/achievements", headers=wrong))
    # Guessing stops for the address, whichever key it sends next.
    assert_limited(await client.get("/v1/achievements", headers=tenant.headers))
    clock.advance(20)
    assert (await client.get("/v1/achievements", headers=tenant.headers)).status_code == 200


@pytest.fixture
async def credential(client: httpx.AsyncClient, tenant: Tenant) -> dict[str, Any]:
    return await issue(client, tenant, (await published_achievement(client, tenant))["id"])


async def test_the_token_endpoint_is_limited_per_offer(
    client: httpx.AsyncClient, tenant: Tenant, credential: dict[str, Any], clock: FakeClock
) -> None:
    offer = await make_offer(client, tenant, credential["id"])
    code = pre_authorized_code(await fetch_offer(client, offer))
    for _ in range(PER_MINUTE):  # wrong transaction codes: refused, and not the limit yet
        refused = await token_response(client, tenant, code, "000000")
        assert refused.status_code == 400, refused.text
    assert_limited(await token_response(client, tenant, code, offer.tx_code))
    clock.advance(20)
    # Let through again, and refused by the offer's own rule: three wrong codes killed it.
    dead = await token_response(client, tenant, code, offer.tx_code)
    assert dead.status_code == 400, dead.text
    assert dead.json()["error"] == "invalid_grant"
    other = await make_offer(client, tenant, credential["id"])
    other_code = pre_authorized_code(await fetch_offer(client, other))
    granted = await token_response(client, tenant, other_code, other.tx_code)
    assert granted.status_code == 200, granted.text


def test_each_limit_remembers_a_bounded_number_of_callers() -> None:
    clock = FakeClock()
    buckets = TokenBuckets(1, max_keys=100, clock=clock)
    for caller in range(10_000):
        assert buckets.take(f"198.51.100.{caller}") == 0
    assert len(buckets) == 100


def test_the_limits_can_be_turned_off() -> None:
    settings = Settings(rate_limits_enabled=False)
    limits = RateLimits.from_settings(settings)
    for _ in range(10_000):
        limits.take_public("192.0.2.1")
    assert limits == RateLimits()


@pytest.mark.parametrize(
    ("allowed_proxies", "separate_buckets"), [("127.0.0.1", True), ("192.0.2.1", False)]
)
def test_a_served_process_takes_the_client_address_only_from_a_trusted_proxy(
    database_url: str, tmp_path: Path, allowed_proxies: str, separate_buckets: bool
) -> None:
    port = free_port()
    command = serve_command(port, "--forwarded-allow-ips", allowed_proxies)
    env = {"STAPEL_RATE_LIMITS_ENABLED": "true", "STAPEL_RATE_LIMIT_PUBLIC_PER_MINUTE": "2"}
    with served(command, port, tmp_path / "serve.log", env=env) as (_, base):

        def page(client: str) -> httpx.Response:
            return httpx.get(f"{base}/verify", headers={"X-Forwarded-For": client}, timeout=10)

        assert [page("198.51.100.1").status_code for _ in range(2)] == [200, 200]
        assert_limited(page("198.51.100.1"), retry_after=30)
        # Another client behind the trusted proxy has a bucket of its own; behind a proxy that
        # is not trusted, the header is ignored and every request is the proxy's.
        assert page("198.51.100.2").status_code == (200 if separate_buckets else 429)
