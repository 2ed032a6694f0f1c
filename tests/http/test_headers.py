"""Every answer carries the security headers; answers that may hold learner data are not kept."""

from __future__ import annotations

import httpx
import pytest
from starlette.datastructures import Headers

from app.config import get_settings
from app.http.headers import JSON_CONTENT_SECURITY_POLICY, with_default_headers
from app.pages.security import CONTENT_SECURITY_POLICY as PAGE_POLICY
from tests.credentials.helpers import issue, published_achievement
from tests.factories import Tenant

SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


def assert_private(response: httpx.Response) -> None:
    assert response.headers["cache-control"] == "no-store", response.request.url
    assert response.headers["cross-origin-resource-policy"] == "same-origin"
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    assert response.headers["content-security-policy"] == JSON_CONTENT_SECURITY_POLICY


async def test_answers_carrying_learner_data_are_not_stored(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    achievement = await published_achievement(client, tenant)
    credential = await issue(client, tenant, achievement["id"])
    answers = [
        await client.get(f"/v1/credentials/{credential['id']}", headers=tenant.headers),
        await client.get("/v1/credentials", headers=tenant.headers),
        await client.get("/v1/audit-events", headers=tenant.headers),
        await client.post("/v1/verify", json={"credential": credential["jwt"]}),
    ]
    for response in answers:
        assert response.status_code == 200, response.text
        assert_private(response)


async def test_problems_and_unknown_paths_are_not_stored(client: httpx.AsyncClient) -> None:
    unauthenticated = await client.get("/v1/credentials")
    assert unauthenticated.status_code == 401
    assert_private(unauthenticated)
    missing = await client.get("/no/such/path")
    assert missing.status_code == 404
    assert_private(missing)


async def test_public_documents_keep_their_caching_and_stay_cross_origin(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    slug = tenant.institution["slug"]
    did = await client.get(f"/issuers/{slug}/did.json")
    context = await client.get("/contexts/eu-microcredential/v1")
    for response in (did, context):
        assert response.status_code == 200, response.text
        assert "no-store" not in response.headers["cache-control"]
        assert "cross-origin-resource-policy" not in response.headers
        assert response.headers["x-content-type-options"] == "nosniff"


async def test_pages_keep_their_own_policy(client: httpx.AsyncClient) -> None:
    response = await client.get("/verify")
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == PAGE_POLICY


async def test_strict_transport_security_follows_the_public_base_url(
    client: httpx.AsyncClient,
) -> None:
    https = get_settings().public_base_url.startswith("https://")
    assert ("strict-transport-security" in (await client.get("/healthz")).headers) is https


@pytest.mark.parametrize("https", [True, False])
def test_strict_transport_security_only_when_served_over_https(https: bool) -> None:
    headers = Headers(raw=with_default_headers([], https=https))
    assert ("strict-transport-security" in headers) is https


def test_an_answer_own_headers_are_never_replaced() -> None:
    own = [(b"cache-control", b"public, max-age=60"), (b"content-security-policy", b"x")]
    headers = Headers(raw=with_default_headers(own, https=False))
    assert headers.getlist("cache-control") == ["public, max-age=60"]
    assert headers.getlist("content-security-policy") == ["x"]
    assert "cross-origin-resource-policy" not in headers
    assert headers["x-content-type-options"] == "nosniff"
