"""The did:web document: every key as a JsonWebKey under its kid, and as a Multikey beside it.

VC-JOSE-COSE verifiers dereference the ``kid`` to a ``JsonWebKey``; did-jwt (under did-jwt-vc)
takes no ``JsonWebKey`` and tries every ``Multikey`` instead (``tests/conformance`` runs it).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.keys.multikey import jwk_of
from tests.credentials.helpers import issue, published_achievement
from tests.factories import Tenant, create_tenant
from tests.verification import forge

# Multibase prefixes every P-256 and Ed25519 Multikey starts with (their multicodec headers).
MULTIBASE_PREFIXES = {"ES256": "zDn", "EdDSA": "z6Mk"}


async def _did_document(client: httpx.AsyncClient, tenant: Tenant) -> dict[str, Any]:
    response = await client.get(f"/issuers/{tenant.slug}/did.json")
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


@pytest.mark.parametrize("algorithm", ["ES256", "EdDSA", "RS256"])
async def test_the_kid_of_issued_credentials_keeps_naming_a_json_web_key(
    client: httpx.AsyncClient, operator: str, algorithm: str
) -> None:
    tenant = await create_tenant(client, operator, signing_algorithm=algorithm)
    achievement = await published_achievement(client, tenant)
    credential = await issue(client, tenant, achievement["id"], profile="vc-jose")
    kid = forge.split(credential["jwt"])[0]["kid"]
    document = await _did_document(client, tenant)

    (named,) = [m for m in document["verificationMethod"] if m["id"] == kid]
    bare = (await client.get(f"/issuers/{tenant.slug}/keys/{kid.partition('#')[2]}")).json()
    assert named["type"] == "JsonWebKey"
    assert named["controller"] == document["id"]
    assert named["publicKeyJwk"] == bare
    assert kid in document["assertionMethod"]


@pytest.mark.parametrize("algorithm", ["ES256", "EdDSA"])
async def test_p256_and_ed25519_keys_are_listed_again_as_multikeys(
    client: httpx.AsyncClient, operator: str, algorithm: str
) -> None:
    tenant = await create_tenant(client, operator, signing_algorithm=algorithm)
    document = await _did_document(client, tenant)

    json_web_key, multikey = document["verificationMethod"]
    assert multikey == {
        "id": f"{json_web_key['id']}-multikey",
        "type": "Multikey",
        "controller": document["id"],
        "publicKeyMultibase": multikey["publicKeyMultibase"],
    }
    assert multikey["publicKeyMultibase"].startswith(MULTIBASE_PREFIXES[algorithm])
    public = {
        k: v for k, v in json_web_key["publicKeyJwk"].items() if k in ("kty", "crv", "x", "y")
    }
    assert jwk_of(multikey["publicKeyMultibase"]) == public
    assert document["assertionMethod"] == [json_web_key["id"], multikey["id"]]
    assert "https://w3id.org/security/multikey/v1" in document["@context"]


async def test_rsa_keys_have_no_multikey(client: httpx.AsyncClient, operator: str) -> None:
    tenant = await create_tenant(client, operator, signing_algorithm="RS256")
    document = await _did_document(client, tenant)
    assert [m["type"] for m in document["verificationMethod"]] == ["JsonWebKey"]


async def test_a_credential_naming_the_multikey_verifies(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    achievement = await published_achievement(client, tenant)
    credential = await issue(client, tenant, achievement["id"], profile="vc-jose")
    signer = await forge.signer_of(sessionmaker, tenant.slug)
    renamed = forge.resign(signer, credential["jwt"], kid=f"{signer.did_url}-multikey")

    report = (await client.post("/v1/verify", json={"verifiableCredential": renamed})).json()

    assert report["verified"] is True, report["checks"]
    key = next(c for c in report["checks"] if c["check"] == "key")
    assert key["outcome"] == "passed"


async def test_rotation_lists_the_retired_key_in_both_shapes(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    before = await _did_document(client, tenant)
    rotated = await client.post(
        "/v1/keys/rotate", json={"algorithm": "EdDSA"}, headers=tenant.headers
    )
    assert rotated.status_code == 201, rotated.text
    after = await _did_document(client, tenant)

    assert after["verificationMethod"][2:] == before["verificationMethod"]  # newest first
    assert [m["type"] for m in after["verificationMethod"]] == ["JsonWebKey", "Multikey"] * 2
