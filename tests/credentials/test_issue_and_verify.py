"""Issued credentials verify with an independent JOSE library in every securing profile."""

from __future__ import annotations

import httpx
import pytest

from tests.credentials.helpers import issue, published_achievement
from tests.credentials.independent_jose import verify
from tests.factories import Tenant, create_tenant


async def test_vc_jose_credential_verifies_with_key_from_did_document(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    achievement = await published_achievement(client, tenant)
    issued = await issue(client, tenant, achievement["id"])
    header, payload = await verify(client, issued["jwt"])
    assert header["typ"] == "vc+jwt"
    assert header["cty"] == "vc"
    assert header["alg"] == "ES256"
    assert header["kid"].startswith(f"{tenant.institution['did']}#")
    assert "vc" not in payload
    assert "vp" not in payload
    assert payload["iss"] == tenant.institution["did"]
    assert isinstance(payload["iat"], int)
    credential = {k: v for k, v in payload.items() if k not in ("iss", "iat")}
    assert credential == issued["credential"]
    assert credential["@context"][:2] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]


async def test_ob3_jwt_credential_verifies_with_bare_jwk_url(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    achievement = await published_achievement(client, tenant)
    learner = {"name": "Sanne de Vries", "did": "did:example:sanne"}
    issued = await issue(client, tenant, achievement["id"], profile="ob3-jwt", learner=learner)
    header, payload = await verify(client, issued["jwt"])
    assert set(header) == {"alg", "kid", "typ"}
    assert header["typ"] == "JWT"
    assert header["kid"].startswith("https://stapel.test/issuers/")
    credential = issued["credential"]
    assert payload["iss"] == credential["issuer"]["id"]
    assert payload["jti"] == credential["id"]
    assert payload["sub"] == "did:example:sanne"
    assert isinstance(payload["nbf"], int)
    assert isinstance(payload["exp"], int)  # the achievement is valid for 60 months
    assert payload["nbf"] < payload["exp"]


async def test_vc_jwt_11_credential_carries_vc_claim_in_vcdm_11_shape(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    achievement = await published_achievement(client, tenant)
    issued = await issue(client, tenant, achievement["id"], profile="vc-jwt-11")
    header, payload = await verify(client, issued["jwt"])
    assert header["typ"] == "JWT"
    vc = payload["vc"]
    assert vc["@context"][0] == "https://www.w3.org/2018/credentials/v1"
    assert "issuanceDate" in vc
    assert "validFrom" not in vc
    assert payload["jti"] == vc["id"]
    assert all(isinstance(payload[c], int) for c in ("iat", "nbf", "exp"))


@pytest.mark.parametrize("algorithm", ["RS256", "EdDSA"])
async def test_other_key_algorithms_sign_verifiable_credentials(
    client: httpx.AsyncClient, operator: str, algorithm: str
) -> None:
    tenant = await create_tenant(client, operator, signing_algorithm=algorithm)
    achievement = await published_achievement(client, tenant)
    issued = await issue(client, tenant, achievement["id"])
    header, _ = await verify(client, issued["jwt"])
    assert header["alg"] == algorithm


async def test_ob3_profile_refuses_an_eddsa_key(client: httpx.AsyncClient, operator: str) -> None:
    tenant = await create_tenant(client, operator, signing_algorithm="EdDSA")
    achievement = await published_achievement(client, tenant)
    response = await client.post(
        "/v1/credentials",
        json={
            "achievement_id": achievement["id"],
            "learner": {"name": "A", "email": "a@b.nl"},
            "awarded_on": "2026-07-01",
            "profile": "ob3-jwt",
        },
        headers=tenant.headers,
    )
    assert response.status_code == 422
    assert response.json()["code"] == "unsupported_profile"


async def test_institution_default_profile_applies(
    client: httpx.AsyncClient, operator: str
) -> None:
    tenant = await create_tenant(client, operator, default_profile="ob3-jwt")
    achievement = await published_achievement(client, tenant)
    issued = await issue(client, tenant, achievement["id"])
    assert issued["profile"] == "ob3-jwt"


async def test_credential_issued_before_key_rotation_still_verifies(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    achievement = await published_achievement(client, tenant)
    before = await issue(client, tenant, achievement["id"])
    rotated = await client.post(
        "/v1/keys/rotate", json={"algorithm": "ES256"}, headers=tenant.headers
    )
    assert rotated.status_code == 201
    after = await issue(client, tenant, achievement["id"])
    old_header, _ = await verify(client, before["jwt"])
    new_header, _ = await verify(client, after["jwt"])
    assert old_header["kid"] != new_header["kid"]
    keys = (await client.get("/v1/keys", headers=tenant.headers)).json()
    assert [k["status"] for k in keys] == ["active", "retired"]
    jwks = (await client.get(f"/issuers/{tenant.slug}/jwks.json")).json()
    assert len(jwks["keys"]) == 2
