"""Every credential Stapel issues, in every profile, passes the JSON Schema it names in its own
``credentialSchema``, expands over its contexts without losing a term, and names only contexts
that dereference: the published W3C and 1EdTech ones, or Stapel's own, served by this instance.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from jsonschema import Draft201909Validator, FormatChecker

from app.contexts import OB_V3P0, STATUS_V1, VC_V1, VC_V2, bundled_context_bytes
from app.credentials.ob3_schema import OB3_SCHEMA_URL, published_schema
from app.vcapi.validation import JWT_CLAIMS
from tests.conftest import BASE_URL
from tests.credentials.helpers import issue, published_achievement
from tests.factories import Tenant
from tests.vcapi.test_expansion import expand_whole
from tests.verification.forge import split

PROFILES = ("vc-jose", "ob3-jwt", "vc-jwt-11")
# Published elsewhere and bundled byte for byte; everything else a credential names is Stapel's.
PUBLISHED_CONTEXTS = {VC_V2, VC_V1, STATUS_V1, OB_V3P0}


def signed_credential(jwt: str) -> dict[str, Any]:
    """The credential as a verifier of the profile sees it: the payload, or its ``vc`` claim."""
    _, payload, _ = split(jwt)
    credential: dict[str, Any] = payload.get("vc", payload)
    return credential


async def declared_schema(client: httpx.AsyncClient, url: str) -> dict[str, Any]:
    if url == OB3_SCHEMA_URL:
        return published_schema()
    assert url.startswith(BASE_URL), f"a schema neither 1EdTech's nor this instance's: {url}"
    response = await client.get(url.removeprefix(BASE_URL))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/schema+json"
    schema: dict[str, Any] = response.json()
    assert schema["$id"] == url
    return schema


async def issued_in_every_profile(
    client: httpx.AsyncClient, tenant: Tenant
) -> list[tuple[str, dict[str, Any]]]:
    achievement = await published_achievement(client, tenant)
    issued = []
    for profile in PROFILES:
        body = await issue(client, tenant, achievement["id"], profile=profile)
        issued.append((profile, signed_credential(str(body["jwt"]))))
    return issued


@pytest.mark.parametrize("suspendable", [False, True], ids=["revocation-only", "suspendable"])
async def test_every_profile_passes_the_schema_it_names(
    client: httpx.AsyncClient, tenant: Tenant, suspending_tenant: Tenant, suspendable: bool
) -> None:
    issuer = suspending_tenant if suspendable else tenant
    for profile, credential in await issued_in_every_profile(client, issuer):
        (reference,) = credential["credentialSchema"]
        schema = await declared_schema(client, reference["id"])
        validator = Draft201909Validator(schema, format_checker=FormatChecker())
        errors = [f"{e.json_path}: {e.message}" for e in validator.iter_errors(credential)]
        assert errors == [], f"{profile} fails {reference['id']}"


@pytest.mark.parametrize("suspendable", [False, True], ids=["revocation-only", "suspendable"])
async def test_every_profile_expands_without_dropping_a_term(
    client: httpx.AsyncClient, tenant: Tenant, suspending_tenant: Tenant, suspendable: bool
) -> None:
    issuer = suspending_tenant if suspendable else tenant
    for profile, credential in await issued_in_every_profile(client, issuer):
        # The JWT's own claims (jti, nbf, …) are the envelope's, not the credential's terms.
        expanded = expand_whole({k: v for k, v in credential.items() if k not in JWT_CLAIMS})
        statuses = expanded[0]["https://www.w3.org/2018/credentials#credentialStatus"]
        assert len(statuses) == (2 if suspendable else 1), profile
        for status in statuses:
            assert status["@type"] == [
                "https://www.w3.org/ns/credentials/status#BitstringStatusListEntry"
            ], profile


async def test_every_context_a_credential_names_dereferences(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    named = {
        url
        for _, credential in await issued_in_every_profile(client, tenant)
        for url in credential["@context"]
    }
    own = named - PUBLISHED_CONTEXTS
    assert own == {f"{BASE_URL}/contexts/eu-microcredential/v1"}
    for url in own:
        response = await client.get(url.removeprefix(BASE_URL))
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/ld+json"
        assert response.headers["access-control-allow-origin"] == "*"
        # Byte for byte what the validator loads, so that a digest of the resource matches.
        assert response.content == bundled_context_bytes(url)
