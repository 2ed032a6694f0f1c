"""The W3C VC-API endpoints: issue, verify and status, end to end."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.contexts import OB_V3P0, VC_V2
from app.credentials.models import Credential
from tests.factories import Tenant, add_key


def vc(**overrides: Any) -> dict[str, Any]:
    """An Open Badges 3.0 credential on contexts this service holds (remote ones are refused)."""
    credential: dict[str, Any] = {
        "@context": [VC_V2, OB_V3P0],
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Alumna",
        "credentialSubject": {
            "id": "did:example:alumna",
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://hogeschool.voorbeeld.nl/achievements/alumni",
                "type": ["Achievement"],
                "name": "Alumna of Hogeschool Voorbeeld",
                "description": "Awarded to every graduate.",
                "criteria": {"narrative": "Graduated."},
            },
        },
        "validFrom": "2026-01-01T00:00:00Z",
    }
    credential.update(overrides)
    return credential


async def _issue(client: httpx.AsyncClient, tenant: Tenant, **overrides: Any) -> dict[str, Any]:
    response = await client.post(
        "/credentials/issue", json={"credential": vc(**overrides)}, headers=tenant.headers
    )
    assert response.status_code == 201, response.text
    enveloped: dict[str, Any] = response.json()["verifiableCredential"]
    return enveloped


async def test_issued_credential_comes_back_enveloped_and_verifies(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    enveloped = await _issue(client, tenant)
    assert enveloped["type"] == "EnvelopedVerifiableCredential"
    assert enveloped["id"].startswith("data:application/vc+jwt,")
    verified = await client.post("/credentials/verify", json={"verifiableCredential": enveloped})
    assert verified.status_code == 200, verified.text
    assert verified.json()["verified"] is True
    assert "signature" in verified.json()["checks"]
    ours = (await client.post("/v1/verify", json={"verifiableCredential": enveloped})).json()
    credential = ours["credential"]
    assert credential["issuer"] == tenant.institution["did"]
    assert credential["id"].startswith("urn:uuid:")
    # One entry (revocation) by default, as an object: the institution does not offer suspension.
    assert credential["credentialStatus"]["statusPurpose"] == "revocation"


@pytest.mark.parametrize(
    ("change", "pointer"),
    [
        ({"@context": ["https://www.w3.org/2018/credentials/v1"]}, "#/credential/@context"),
        ({"type": ["OpenBadgeCredential"]}, "#/credential/type"),
        ({"credentialSubject": {}}, "#/credential/credentialSubject"),
        ({"validFrom": "yesterday"}, "#/credential/validFrom"),
        ({"validFrom": "2026-01-01"}, "#/credential/validFrom"),
        ({"validUntil": "2025-01-01T00:00:00Z"}, "#/credential/validUntil"),
        ({"issuer": "did:example:someone-else"}, "#/credential/issuer"),
        ({"proof": {"type": "DataIntegrityProof"}}, "#/credential/proof"),
    ],
)
async def test_invalid_credentials_are_refused_and_nothing_is_stored(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    change: dict[str, Any],
    pointer: str,
) -> None:
    response = await client.post(
        "/credentials/issue", json={"credential": vc(**change)}, headers=tenant.headers
    )
    assert response.status_code == 422, response.text
    assert any(e["pointer"] == pointer for e in response.json()["errors"]), response.json()
    async with sessionmaker() as session:
        assert (await session.execute(select(func.count()).select_from(Credential))).scalar() == 0


async def test_status_lifecycle_through_the_vc_api(
    client: httpx.AsyncClient, suspending_tenant: Tenant
) -> None:
    tenant = suspending_tenant
    enveloped = await _issue(client, tenant, id="https://credentials.voorbeeld.nl/alumni/42")

    async def set_status(value: str) -> httpx.Response:
        return await client.post(
            "/credentials/status",
            json={
                "credentialId": "https://credentials.voorbeeld.nl/alumni/42",
                "credentialStatus": [{"type": "BitstringStatusListEntry", "status": value}],
            },
            headers=tenant.headers,
        )

    async def verify() -> httpx.Response:
        return await client.post("/credentials/verify", json={"verifiableCredential": enveloped})

    assert (await verify()).status_code == 200
    assert (await set_status("suspended")).json()["state"] == "suspended"
    failed = await verify()
    assert failed.status_code == 422
    assert failed.headers["content-type"] == "application/problem+json"
    assert failed.json()["code"] == "verification_failed"
    assert [e["code"] for e in failed.json()["errors"]] == ["status"]
    assert (await set_status("active")).json()["state"] == "active"
    assert (await verify()).status_code == 200
    assert (await set_status("revoked")).json()["state"] == "revoked"
    assert (await verify()).status_code == 422
    refused = await set_status("active")
    assert refused.status_code == 409
    assert refused.json()["code"] == "invalid_state"


async def test_vc_api_issue_and_status_need_their_scopes(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    assert (await client.post("/credentials/issue", json={"credential": vc()})).status_code == 401
    reader = await add_key(client, tenant, {"credentials:read"})
    headers = {"Authorization": f"Bearer {reader}"}
    assert (
        await client.post("/credentials/issue", json={"credential": vc()}, headers=headers)
    ).status_code == 403
    response = await client.post(
        "/credentials/status",
        json={"credentialId": "urn:uuid:x", "credentialStatus": [{"status": "revoked"}]},
        headers=headers,
    )
    assert response.status_code == 403


async def test_unknown_or_foreign_credential_id_is_404(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    enveloped = await _issue(client, tenant)
    ours = (await client.post("/v1/verify", json={"verifiableCredential": enveloped})).json()
    body = {"credentialId": ours["credential"]["id"], "credentialStatus": [{"status": "revoked"}]}
    assert (
        await client.post("/credentials/status", json=body, headers=other_tenant.headers)
    ).status_code == 404
    body["credentialId"] = "urn:uuid:00000000-0000-0000-0000-000000000000"
    assert (
        await client.post("/credentials/status", json=body, headers=tenant.headers)
    ).status_code == 404


async def test_verify_rejects_bad_input_with_problems(client: httpx.AsyncClient) -> None:
    missing = await client.post("/credentials/verify", json={})
    assert missing.status_code == 422
    garbage = await client.post("/credentials/verify", json={"verifiableCredential": "a.b.c"})
    assert garbage.status_code == 422
    assert garbage.json()["errors"][0]["code"] == "parsing"
    embedded = await client.post(
        "/credentials/verify", json={"verifiableCredential": {"type": "VerifiableCredential"}}
    )
    assert embedded.status_code == 422
