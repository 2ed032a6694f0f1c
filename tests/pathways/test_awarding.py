"""Components from another issuer count only while the institution recognises that issuer."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.keys.did import institution_did
from tests.credentials.helpers import issue
from tests.factories import Tenant
from tests.pathways.support import components, credentials_of, run_pathways, stacked_payload


async def _joint_certificate(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> tuple[str, str, str]:
    """A certificate of ``tenant`` from one own module and one of ``other_tenant``."""
    (own,) = await components(client, tenant, 1, ects=10)
    (theirs,) = await components(client, other_tenant, 1, ects=5)
    pathway = {"rule": "all", "components": [own, theirs]}
    refused = await client.post(
        "/v1/achievements", json=stacked_payload(pathway), headers=tenant.headers
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["code"] == "component_not_recognised"

    recognition = await client.post(
        "/v1/recognitions",
        json={"issuer_did": institution_did(other_tenant.slug), "eqf_min": 6},
        headers=tenant.headers,
    )
    assert recognition.status_code == 201, recognition.text
    created = await client.post(
        "/v1/achievements", json=stacked_payload(pathway), headers=tenant.headers
    )
    assert created.status_code == 201, created.text
    certificate = created.json()["id"]
    published = await client.post(f"/v1/achievements/{certificate}/publish", headers=tenant.headers)
    assert published.status_code == 200, published.text
    return certificate, own, theirs


async def test_a_recognised_issuers_credential_completes_the_pathway(
    client: httpx.AsyncClient,
    tenant: Tenant,
    other_tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    certificate, own, theirs = await _joint_certificate(client, tenant, other_tenant)
    await issue(client, tenant, own)
    external = await issue(client, other_tenant, theirs)
    await run_pathways(sessionmaker)
    (held,) = await credentials_of(sessionmaker, certificate)
    assert external["credential_id"] in [e["id"] for e in held.document["evidence"]]


async def test_a_credential_the_recognition_no_longer_covers_does_not_count(
    client: httpx.AsyncClient,
    tenant: Tenant,
    other_tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    certificate, own, theirs = await _joint_certificate(client, tenant, other_tenant)
    (recognition,) = (await client.get("/v1/recognitions", headers=tenant.headers)).json()
    narrowed = await client.put(
        f"/v1/recognitions/{recognition['id']}", json={"eqf_max": 5}, headers=tenant.headers
    )
    assert narrowed.status_code == 200, narrowed.text
    await issue(client, tenant, own)
    await issue(client, other_tenant, theirs)
    await run_pathways(sessionmaker)
    assert await credentials_of(sessionmaker, certificate) == []
