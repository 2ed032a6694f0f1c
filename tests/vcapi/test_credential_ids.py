"""One id, one credential: across institutions and both APIs, and for the status endpoint."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.credentials.helpers import issue, published_achievement
from tests.factories import Tenant
from tests.vcapi.test_vcapi import vc

TAKEN_ID = "https://credentials.voorbeeld.nl/alumni/1872"


async def _issue(client: httpx.AsyncClient, tenant: Tenant, credential_id: str) -> httpx.Response:
    return await client.post(
        "/credentials/issue", json={"credential": vc(id=credential_id)}, headers=tenant.headers
    )


async def test_an_id_used_by_a_vc_api_credential_is_a_409_for_every_institution(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    assert (await _issue(client, tenant, TAKEN_ID)).status_code == 201
    for caller in (tenant, other_tenant):
        again = await _issue(client, caller, TAKEN_ID)
        assert again.status_code == 409, again.text
        assert again.json()["code"] == "credential_id_taken"
        assert again.json()["errors"][0]["pointer"] == "#/credential/id"


async def test_an_id_used_by_a_rest_credential_is_a_409(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    achievement = await published_achievement(client, tenant)
    rest = await issue(client, tenant, achievement["id"])
    again = await _issue(client, tenant, rest["credential_id"])
    assert again.status_code == 409, again.text
    assert again.json()["code"] == "credential_id_taken"


async def test_the_database_refuses_a_second_credential_with_the_same_id(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """The index, not only the service's check, holds: two racing requests cannot both win."""
    assert (await _issue(client, tenant, TAKEN_ID)).status_code == 201
    second = await _issue(client, tenant, "urn:uuid:7d1c3f0e-2b1a-4c55-9a43-5f1d2c3b4a59")
    assert second.status_code == 201
    async with sessionmaker() as session:
        with pytest.raises(IntegrityError, match="uq_credentials_document_id"):
            await session.execute(
                text(
                    "UPDATE credentials SET document = jsonb_set(document, '{id}', to_jsonb("
                    "CAST(:taken AS text))) WHERE document ->> 'id' = :other"
                ),
                {"taken": TAKEN_ID, "other": "urn:uuid:7d1c3f0e-2b1a-4c55-9a43-5f1d2c3b4a59"},
            )


async def test_status_changes_exactly_the_credential_with_that_id(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    first = (await _issue(client, tenant, TAKEN_ID)).json()["verifiableCredential"]
    second = (await _issue(client, tenant, f"{TAKEN_ID}-b")).json()["verifiableCredential"]
    revoked = await client.post(
        "/credentials/status",
        json={"credentialId": TAKEN_ID, "credentialStatus": [{"status": "revoked"}]},
        headers=tenant.headers,
    )
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["credential_id"] == TAKEN_ID
    first_report = await client.post("/credentials/verify", json={"verifiableCredential": first})
    assert first_report.status_code == 422
    second_report = await client.post("/credentials/verify", json={"verifiableCredential": second})
    assert second_report.status_code == 200


async def test_a_nul_character_in_an_id_is_a_422_not_a_server_error(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    issued = await _issue(client, tenant, "urn:example:\u0000")
    assert issued.status_code == 422, issued.text
    status = await client.post(
        "/credentials/status",
        json={"credentialId": "urn:example:\u0000", "credentialStatus": [{"status": "revoked"}]},
        headers=tenant.headers,
    )
    assert status.status_code == 422, status.text


async def test_two_requests_racing_for_one_id_give_one_credential_and_one_409(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    racing = await asyncio.gather(*(_issue(client, tenant, TAKEN_ID) for _ in range(2)))
    assert sorted(r.status_code for r in racing) == [201, 409], [r.text for r in racing]
    refused = next(r for r in racing if r.status_code == 409)
    assert refused.json()["code"] == "credential_id_taken"
