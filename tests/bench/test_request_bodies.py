"""The benchmark's request bodies are ones the API takes, and say what the rows claim: the
minimal single issuance (b) the least, the full one (b2) every element, the pathway (m) one
the engine awards."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.credentials.schemas import CredentialIssue, Learner
from bench import dataset
from tests.factories import Tenant
from tests.pathways.support import credentials_of, run_pathways

TODAY = datetime.now(UTC).date()
# Chosen per institution or per profile, not an element of what is awarded.
NOT_AN_ELEMENT = {"profile"}


async def _published(client: httpx.AsyncClient, tenant: Tenant, body: dict[str, Any]) -> str:
    created = await client.post("/v1/achievements", json=body, headers=tenant.headers)
    assert created.status_code == 201, created.text
    achievement_id = str(created.json()["id"])
    published = await client.post(
        f"/v1/achievements/{achievement_id}/publish", headers=tenant.headers
    )
    assert published.status_code == 200, published.text
    return achievement_id


async def _issued(client: httpx.AsyncClient, tenant: Tenant, body: dict[str, Any]) -> Any:
    response = await client.post("/v1/credentials", json=body, headers=tenant.headers)
    assert response.status_code == 201, response.text
    return response.json()["credential"]


def test_full_request_sets_every_field_a_credential_request_takes() -> None:
    full = dataset.full_credential_request("{{achievement}}", "{{learner}}", TODAY)

    assert set(full) == set(CredentialIssue.model_fields) - NOT_AN_ELEMENT
    assert set(full["learner"]) == set(Learner.model_fields)


def test_minimal_request_sets_only_what_a_credential_request_needs() -> None:
    minimal = dataset.minimal_credential_request("{{achievement}}", "{{learner}}", TODAY)
    required = {name for name, f in CredentialIssue.model_fields.items() if f.is_required()}

    assert set(minimal) == required
    # A name and one identifier: Learner asks for at least one of number, e-mail or DID.
    assert set(minimal["learner"]) == {"name", "student_number"}


async def test_minimal_and_full_requests_issue_a_formal_micro_credential(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    achievement = await _published(client, tenant, dataset.achievement_payload(0))

    full_request = dataset.full_credential_request(achievement, "bench-2", TODAY)

    minimal = await _issued(
        client, tenant, dataset.minimal_credential_request(achievement, "bench-1", TODAY)
    )
    full = await _issued(client, tenant, full_request)

    assert "evidence" not in minimal
    assert full["credentialSubject"]["id"] == "did:web:learners.example.org:bench-2"
    assert len(full["evidence"]) == 2  # the one given and the SIS reference
    expires = datetime.fromisoformat(full["validUntil"].replace("Z", "+00:00"))
    assert expires == datetime.fromisoformat(full_request["valid_until"])


async def test_pathway_of_the_benchmark_awards_one_stacked_credential(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    components = []
    for index in range(3):
        body = dataset.pathway_component(index, f"BENCH-PW-{index}")
        components.append((await _published(client, tenant, body), body))
    stacked = await _published(client, tenant, dataset.stacked_achievement(components))

    for component_id, _ in components[:2]:
        await _issued(
            client, tenant, dataset.minimal_credential_request(component_id, "s0001", TODAY)
        )
    await run_pathways(sessionmaker)
    assert await credentials_of(sessionmaker, stacked) == []

    last = components[2][0]
    await _issued(client, tenant, dataset.minimal_credential_request(last, "s0001", TODAY))
    await run_pathways(sessionmaker)

    assert len(await credentials_of(sessionmaker, stacked)) == 1
