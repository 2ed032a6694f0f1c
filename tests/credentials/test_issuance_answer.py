"""The answer to a single issuance is written without building its model (for speed): it must
still be exactly what ``CredentialOut``, the model the OpenAPI document shows, would send."""

from __future__ import annotations

from typing import Any

import httpx

from app.credentials.schemas import CredentialOut
from tests.credentials.helpers import issue_payload, published_achievement
from tests.factories import Tenant


def _as_the_model_sends_it(response: httpx.Response) -> dict[str, Any]:
    return CredentialOut.model_validate_json(response.content, strict=True).model_dump(mode="json")


async def test_an_issued_credential_is_answered_as_the_model_would(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    achievement = await published_achievement(client, tenant)
    payload = issue_payload(achievement["id"], valid_until="2031-07-01T00:00:00Z")
    headers = {**tenant.headers, "Idempotency-Key": "answer-shape-1"}

    issued = await client.post("/v1/credentials", json=payload, headers=headers)
    assert issued.status_code == 201, issued.text
    assert issued.headers["content-type"] == "application/json"
    answer = issued.json()
    assert answer["valid_until"]
    assert answer["status"]
    assert answer["credential"]["id"]
    assert answer == _as_the_model_sends_it(issued)

    replayed = await client.post("/v1/credentials", json=payload, headers=headers)
    assert replayed.status_code == 200, replayed.text
    assert replayed.json() == _as_the_model_sends_it(replayed)
    read = await client.get(f"/v1/credentials/{answer['id']}", headers=tenant.headers)
    assert replayed.json() == read.json() == {**answer, "claim_url": None}


async def test_a_minimal_issuance_is_answered_as_the_model_would(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    achievement = await published_achievement(client, tenant)
    minimal = {
        "achievement_id": achievement["id"],
        "learner": {"name": "Sanne de Vries", "student_number": "s7654321"},
        "awarded_on": "2026-07-01",
    }
    issued = await client.post("/v1/credentials", json=minimal, headers=tenant.headers)
    assert issued.status_code == 201, issued.text
    assert issued.json() == _as_the_model_sends_it(issued)
