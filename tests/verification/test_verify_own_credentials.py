"""Verifying our own credentials through POST /v1/verify, across their whole life."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.credentials.helpers import issue, published_achievement
from tests.factories import Tenant


async def verify(
    client: httpx.AsyncClient, body: Any, content_type: str | None = None
) -> dict[str, Any]:
    if content_type:
        response = await client.post(
            "/v1/verify", content=body, headers={"Content-Type": content_type}
        )
    else:
        response = await client.post("/v1/verify", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def outcome(result: dict[str, Any], check: str) -> str:
    return str(next(c["outcome"] for c in result["checks"] if c["check"] == check))


@pytest.mark.parametrize("profile", ["vc-jose", "ob3-jwt", "vc-jwt-11"])
async def test_own_credential_verifies_in_every_profile(
    client: httpx.AsyncClient, tenant: Tenant, profile: str
) -> None:
    achievement = await published_achievement(client, tenant)
    credential = await issue(client, tenant, achievement["id"], profile=profile)
    result = await verify(client, {"verifiableCredential": credential["jwt"]})
    assert result["verified"], [c for c in result["checks"] if c["outcome"] != "passed"]
    assert result["issuer_trusted"]
    assert result["profile"] == profile
    assert [c["check"] for c in result["checks"]] == [
        "parsing",
        "algorithm",
        "header",
        "key",
        "signature",
        "claims",
        "validity",
        "schema",
        "status",
        "trust",
    ]
    assert result["issuer"] == {
        "id": tenant.institution["did"],
        "name": "Hogeschool Voorbeeld",
        "known_as": "this_instance",
        "recognised": True,
    }
    summary = result["achievement"]
    assert summary["name"] == "Data Literacy for Policy Makers"
    assert summary["credits_ects"] == 5
    assert summary["eqf_level"] == 6
    assert summary["result"] == ["8.5"]


async def test_a_second_verification_is_answered_without_the_database(
    client: httpx.AsyncClient, tenant: Tenant, pool_checkouts: list[float]
) -> None:
    achievement = await published_achievement(client, tenant)
    credential = await issue(client, tenant, achievement["id"])
    assert (await verify(client, credential["jwt"], "application/vc+jwt"))["verified"]
    taken = len(pool_checkouts)
    again = await verify(client, credential["jwt"], "application/vc+jwt")
    assert again["verified"]
    assert outcome(again, "status") == "passed"
    assert len(pool_checkouts) == taken  # keys, lists and issuer all from the process caches


async def test_input_forms_are_all_accepted(client: httpx.AsyncClient, tenant: Tenant) -> None:
    jwt = (await issue(client, tenant, (await published_achievement(client, tenant))["id"]))["jwt"]
    enveloped = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": "EnvelopedVerifiableCredential",
        "id": f"data:application/vc+jwt,{jwt}",
    }
    for result in (
        await verify(client, jwt.encode(), "application/vc+jwt"),
        await verify(client, jwt),
        await verify(client, enveloped),
        await verify(client, {"verifiableCredential": enveloped}),
        await verify(client, {"verifiableCredential": f"data:application/vc+jwt,{jwt}"}),
    ):
        assert result["verified"]


async def test_status_changes_show_in_verification(
    client: httpx.AsyncClient, suspending_tenant: Tenant
) -> None:
    tenant = suspending_tenant
    credential = await issue(client, tenant, (await published_achievement(client, tenant))["id"])
    url = f"/v1/credentials/{credential['id']}"
    body = {"verifiableCredential": credential["jwt"]}
    assert (await verify(client, body))["verified"]

    await client.post(
        f"{url}/suspend", json={"reason_code": "under_investigation"}, headers=tenant.headers
    )
    suspended = await verify(client, body)
    assert not suspended["verified"]
    assert outcome(suspended, "status") == "failed"
    assert "suspended" in next(c["detail"] for c in suspended["checks"] if c["check"] == "status")

    await client.post(f"{url}/reinstate", headers=tenant.headers)
    assert (await verify(client, body))["verified"]

    await client.post(f"{url}/revoke", json={"reason_code": "fraud"}, headers=tenant.headers)
    revoked = await verify(client, body)
    assert not revoked["verified"]
    assert "revoked" in next(c["detail"] for c in revoked["checks"] if c["check"] == "status")
    refused = await client.post(f"{url}/reinstate", headers=tenant.headers)
    assert refused.status_code == 409


async def test_unrecognised_institution_is_reported_as_such(
    client: httpx.AsyncClient, operator: str
) -> None:
    from tests.factories import create_tenant, informal_badge_payload

    tenant = await create_tenant(client, operator, recognised=False)
    created = (
        await client.post("/v1/achievements", json=informal_badge_payload(), headers=tenant.headers)
    ).json()
    await client.post(f"/v1/achievements/{created['id']}/publish", headers=tenant.headers)
    credential = await issue(client, tenant, created["id"], grade=None)
    result = await verify(client, credential["jwt"])
    assert result["verified"]
    assert result["issuer"]["recognised"] is False
