from __future__ import annotations

import httpx

from tests.credentials.helpers import issue, published_achievement
from tests.factories import Tenant, achievement_payload

BASE = "https://stapel.test"


async def test_achievement_id_in_a_credential_dereferences_to_the_same_achievement(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    achievement = await published_achievement(client, tenant)
    credential = (await issue(client, tenant, achievement["id"]))["credential"]
    embedded = credential["credentialSubject"]["achievement"]
    response = await client.get(embedded["id"].removeprefix(BASE))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/ld+json"
    document = response.json()
    assert {k: v for k, v in document.items() if k not in ("@context", "creator")} == embedded
    assert document["creator"]["id"] == tenant.institution["did"]


async def test_issued_version_stays_readable_after_an_edit(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    achievement = await published_achievement(client, tenant)
    await issue(client, tenant, achievement["id"])
    await client.patch(
        f"/v1/achievements/{achievement['id']}", json={"title": "New title"}, headers=tenant.headers
    )
    first = await client.get(f"/achievements/{achievement['id']}/versions/1")
    current = await client.get(f"/achievements/{achievement['id']}")
    assert first.json()["name"] == "Data Literacy for Policy Makers"
    assert current.json()["name"] == "New title"
    assert current.json()["version"] == "2"


async def test_drafts_are_not_public(client: httpx.AsyncClient, tenant: Tenant) -> None:
    draft = (
        await client.post("/v1/achievements", json=achievement_payload(), headers=tenant.headers)
    ).json()
    assert (await client.get(f"/achievements/{draft['id']}")).status_code == 404
    assert (await client.get(f"/achievements/{draft['id']}/versions/1")).status_code == 404
    assert (await client.get(f"/achievements/{draft['id']}/versions/0")).status_code == 422


async def test_extension_context_is_served(client: httpx.AsyncClient) -> None:
    response = await client.get("/contexts/eu-microcredential/v1")
    assert response.status_code == 200
    terms = response.json()["@context"]
    assert terms["participationType"] == "eu:participationType"
