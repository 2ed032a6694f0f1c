"""``POST /credentials/verify`` holds an EnvelopedVerifiableCredential to VC-JOSE-COSE's shape."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from app.contexts import VC_V2
from tests.vcapi.foreign_issuer import DidJwkIssuer
from tests.vcapi.test_vcapi import vc


def signed_envelope() -> dict[str, Any]:
    issuer = DidJwkIssuer()
    credential = vc(id="urn:uuid:5f0c8a52-4c1e-4bb4-9a53-9c1fd3e4c1a7", issuer=issuer.did)
    return issuer.envelope(credential)


async def verify(client: httpx.AsyncClient, envelope: object) -> httpx.Response:
    return await client.post("/credentials/verify", json={"verifiableCredential": envelope})


async def test_a_well_formed_envelope_verifies(client: httpx.AsyncClient) -> None:
    response = await verify(client, signed_envelope())
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("change", "code", "member"),
    [
        ({"@context": []}, "context_invalid", "@context"),
        ({"@context": ["https://www.w3.org/2018/credentials/v1"]}, "context_invalid", "@context"),
        ({"@context": "https://www.w3.org/ns/credentials/v2"}, "context_invalid", "@context"),
        (
            {"type": ["EnvelopedVerifiableCredential", "VerifiableCredential"]},
            "type_invalid",
            "type",
        ),
        ({"id": None}, "envelope_id_invalid", "id"),
        ({"id": "data:application/jwt,a.b.c"}, "envelope_id_invalid", "id"),
    ],
)
async def test_a_malformed_envelope_is_refused_naming_the_member(
    client: httpx.AsyncClient, change: dict[str, Any], code: str, member: str
) -> None:
    response = await verify(client, {**signed_envelope(), **change})
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert {"pointer": f"#/verifiableCredential/{member}", "code": code} in [
        {"pointer": e["pointer"], "code": e["code"]} for e in errors
    ], errors


async def test_a_bare_jwt_as_the_envelope_id_is_refused(client: httpx.AsyncClient) -> None:
    envelope = signed_envelope()
    bare = envelope["id"].removeprefix("data:application/vc+jwt,")
    response = await verify(client, {**envelope, "id": bare})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["code"] == "envelope_id_invalid"


async def test_the_envelope_context_may_name_further_contexts_after_v2(
    client: httpx.AsyncClient,
) -> None:
    envelope = signed_envelope()
    envelope["@context"] = [VC_V2, "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
    response = await verify(client, envelope)
    assert response.status_code == 200, response.text


async def test_registered_jwt_claims_beside_the_credential_are_not_undefined_terms(
    client: httpx.AsyncClient,
) -> None:
    issuer = DidJwkIssuer()
    identifier = "urn:uuid:0b7d2a8e-2f4e-4e07-8a43-6b0f4cf1d7c2"
    payload = {
        **vc(id=identifier, issuer=issuer.did),
        "iss": issuer.did,
        "jti": identifier,
        "iat": int(time.time()),
    }
    response = await verify(client, issuer.envelope(payload))
    assert response.status_code == 200, response.text
