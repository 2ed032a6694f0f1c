"""A VC-API credential that names a schema Stapel holds must pass it as signed; suspension
exists only where the institution offers it."""

from __future__ import annotations

import httpx

from app.contexts import OB_V3P0, VC_V2
from app.credentials.ob3_schema import OB3_SCHEMA_URL, SCHEMA_VALIDATOR_TYPE
from tests.factories import Tenant
from tests.vcapi.test_vcapi import vc

# Stapel's extension context defines the schema's type, 1EdTechJsonSchemaValidator2019.
CONTEXTS = [VC_V2, OB_V3P0, "https://stapel.test/contexts/eu-microcredential/v1"]
NAMES_OB3 = {
    "@context": CONTEXTS,
    "credentialSchema": [{"id": OB3_SCHEMA_URL, "type": SCHEMA_VALIDATOR_TYPE}],
}


async def test_a_credential_that_passes_the_ob3_schema_it_names_is_signed(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    response = await client.post(
        "/credentials/issue", json={"credential": vc(**NAMES_OB3)}, headers=tenant.headers
    )
    assert response.status_code == 201, response.text


async def test_a_credential_that_fails_the_ob3_schema_it_names_is_refused(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    credential = vc(**NAMES_OB3)
    del credential["credentialSubject"]["achievement"]["criteria"]  # OB 3.0 requires criteria
    response = await client.post(
        "/credentials/issue", json={"credential": credential}, headers=tenant.headers
    )
    assert response.status_code == 422, response.text
    problem = response.json()
    assert {e["code"] for e in problem["errors"]} == {"schema_violation"}
    assert problem["errors"][0]["pointer"] == "#/credential/credentialSchema"
    assert "criteria" in problem["errors"][0]["detail"]


async def test_with_suspension_on_the_signed_status_list_names_stapels_schema_variant_to_pass(
    client: httpx.AsyncClient, suspending_tenant: Tenant
) -> None:
    """Two status entries fail the 1EdTech schema: the caller hears so before anything is signed."""
    response = await client.post(
        "/credentials/issue",
        json={"credential": vc(**NAMES_OB3)},
        headers=suspending_tenant.headers,
    )
    assert response.status_code == 422, response.text
    assert "credentialStatus" in response.json()["errors"][0]["detail"]
    variant = "https://stapel.test/schemas/ob3/achievementcredential-status-lists.json"
    names_variant = {
        "@context": CONTEXTS,
        "credentialSchema": [{"id": variant, "type": SCHEMA_VALIDATOR_TYPE}],
    }
    response = await client.post(
        "/credentials/issue",
        json={"credential": vc(**names_variant)},
        headers=suspending_tenant.headers,
    )
    assert response.status_code == 201, response.text


async def test_a_credential_without_a_suspension_entry_cannot_be_suspended(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    credential_id = "https://credentials.voorbeeld.nl/alumni/7"
    response = await client.post(
        "/credentials/issue", json={"credential": vc(id=credential_id)}, headers=tenant.headers
    )
    assert response.status_code == 201, response.text
    refused = await client.post(
        "/credentials/status",
        json={
            "credentialId": credential_id,
            "credentialStatus": [{"type": "BitstringStatusListEntry", "status": "suspended"}],
        },
        headers=tenant.headers,
    )
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "suspension_not_offered"
