from __future__ import annotations

import httpx

from tests.factories import Tenant, bearer, institution_payload


async def test_operator_creates_institution_with_did_and_active_key(
    client: httpx.AsyncClient, operator: str
) -> None:
    response = await client.post(
        "/v1/institutions", json=institution_payload(slug="hva"), headers=bearer(operator)
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["did"] == "did:web:stapel.test:issuers:hva"
    assert body["ects_min"] == 3
    assert body["ects_max"] == 30
    did = await client.get("/issuers/hva/did.json")
    assert did.status_code == 200
    assert did.headers["content-type"].startswith("application/did+json")
    methods = did.json()["verificationMethod"]
    assert [m["type"] for m in methods] == ["JsonWebKey", "Multikey"]


async def test_duplicate_slug_is_conflict(
    client: httpx.AsyncClient, tenant: Tenant, operator: str
) -> None:
    response = await client.post(
        "/v1/institutions", json=institution_payload(slug=tenant.slug), headers=bearer(operator)
    )
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "slug_taken"
