"""Revoke, suspend and reinstate: the bit, the state and the audit entry change together."""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
from typing import Any

import httpx
import pytest

from tests.credentials.helpers import issue, published_achievement
from tests.factories import Tenant, add_key, create_tenant


@pytest.fixture
def tenant(suspending_tenant: Tenant) -> Tenant:
    """Suspension is offered: these tests suspend and reinstate."""
    return suspending_tenant


BASE = "https://stapel.test"


def _decoded_bit(jwt: str, index: int) -> bool:
    """Read a bit of a status list JWT without the service's own code."""
    payload = jwt.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    encoded = claims["credentialSubject"]["encodedList"][1:]
    bits = gzip.decompress(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    return bool(bits[index // 8] >> (7 - index % 8) & 1)


async def _bit(client: httpx.AsyncClient, credential: dict[str, Any], purpose: str) -> bool:
    entry = next(
        e for e in credential["credential"]["credentialStatus"] if e["statusPurpose"] == purpose
    )
    listed = await client.get(entry["statusListCredential"].removeprefix(BASE))
    assert listed.status_code == 200
    return _decoded_bit(listed.text, int(entry["statusListIndex"]))


async def _post(
    client: httpx.AsyncClient, tenant: Tenant, credential: dict[str, Any], action: str, **body: Any
) -> httpx.Response:
    return await client.post(
        f"/v1/credentials/{credential['id']}/{action}", json=body or None, headers=tenant.headers
    )


async def test_suspend_reinstate_revoke_flip_the_right_bits(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    credential = await issue(client, tenant, (await published_achievement(client, tenant))["id"])
    assert not await _bit(client, credential, "revocation")
    assert not await _bit(client, credential, "suspension")

    suspended = await _post(
        client, tenant, credential, "suspend", reason_code="under_investigation"
    )
    assert suspended.status_code == 200, suspended.text
    assert suspended.json()["state"] == "suspended"
    assert await _bit(client, credential, "suspension")

    reinstated = await _post(client, tenant, credential, "reinstate")
    assert reinstated.json()["state"] == "active"
    assert not await _bit(client, credential, "suspension")

    revoked = await _post(
        client,
        tenant,
        credential,
        "revoke",
        reason_code="fraud",
        reason="Plagiarism established by the exam board.",
    )
    assert revoked.json()["state"] == "revoked"
    assert revoked.json()["status_reason_code"] == "fraud"
    assert await _bit(client, credential, "revocation")

    events = (await client.get("/v1/audit-events", headers=tenant.headers)).json()["items"]
    assert [e["action"] for e in events[:3]] == [
        "credential.revoked",
        "credential.reinstated",
        "credential.suspended",
    ]
    assert events[0]["data"]["reason"] == "Plagiarism established by the exam board."


@pytest.mark.parametrize(
    ("setup", "action", "body"),
    [
        (["revoke"], "revoke", {"reason_code": "fraud"}),
        (["revoke"], "suspend", {"reason_code": "under_investigation"}),
        (["revoke"], "reinstate", {}),
        ([], "reinstate", {}),
        (["suspend"], "suspend", {"reason_code": "under_investigation"}),
    ],
)
async def test_impossible_transitions_are_409_and_change_nothing(
    client: httpx.AsyncClient, tenant: Tenant, setup: list[str], action: str, body: dict[str, Any]
) -> None:
    credential = await issue(client, tenant, (await published_achievement(client, tenant))["id"])
    reasons = {"revoke": "issued_in_error", "suspend": "under_investigation"}
    for step in setup:
        assert (
            await _post(client, tenant, credential, step, reason_code=reasons[step])
        ).status_code == 200
    before = (
        await client.get(f"/v1/credentials/{credential['id']}", headers=tenant.headers)
    ).json()
    response = await _post(client, tenant, credential, action, **body)
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_state"
    after = (await client.get(f"/v1/credentials/{credential['id']}", headers=tenant.headers)).json()
    assert after == before


async def test_status_changes_need_the_revoke_scope_and_a_known_reason(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    credential = await issue(client, tenant, (await published_achievement(client, tenant))["id"])
    issuer_only = await add_key(client, tenant, {"credentials:issue", "credentials:read"})
    refused = await client.post(
        f"/v1/credentials/{credential['id']}/revoke",
        json={"reason_code": "fraud"},
        headers={"Authorization": f"Bearer {issuer_only}"},
    )
    assert refused.status_code == 403
    unknown = await _post(client, tenant, credential, "revoke", reason_code="bored")
    assert unknown.status_code == 422
    assert not await _bit(client, credential, "revocation")


async def test_status_list_is_re_signed_after_a_change(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    credential = await issue(client, tenant, (await published_achievement(client, tenant))["id"])
    url = credential["credential"]["credentialStatus"][0]["statusListCredential"].removeprefix(BASE)
    before = await client.get(url)
    await _post(client, tenant, credential, "revoke", reason_code="issued_in_error")
    conditional = await client.get(url, headers={"If-None-Match": before.headers["etag"]})
    assert conditional.status_code == 200
    assert conditional.headers["etag"] != before.headers["etag"]


async def test_a_hundred_concurrent_revocations_on_one_list_lose_no_bit(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    achievement = await published_achievement(client, tenant)
    items = [
        {
            "achievement_id": achievement["id"],
            "awarded_on": "2026-07-01",
            "learner": {"name": "L", "student_number": f"s{i}"},
        }
        for i in range(120)
    ]
    batch = (
        await client.post("/v1/credentials/batch", json={"items": items}, headers=tenant.headers)
    ).json()
    ids = [r["credential"]["id"] for r in batch["results"]]
    revoked, kept = ids[:100], ids[100:]
    responses = await asyncio.gather(
        *(
            client.post(
                f"/v1/credentials/{i}/revoke",
                json={"reason_code": "result_withdrawn"},
                headers=tenant.headers,
            )
            for i in revoked
        )
    )
    assert {r.status_code for r in responses} == {200}
    lists = {r["credential"]["status"][0]["status_list_credential"] for r in batch["results"]}
    assert len(lists) == 1
    jwt = (await client.get(lists.pop().removeprefix(BASE))).text
    index = {r["credential"]["id"]: r["credential"]["status"][0]["index"] for r in batch["results"]}
    assert all(_decoded_bit(jwt, index[i]) for i in revoked)
    assert not any(_decoded_bit(jwt, index[i]) for i in kept)


async def test_other_institution_cannot_revoke(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    credential = await issue(client, tenant, (await published_achievement(client, tenant))["id"])
    response = await client.post(
        f"/v1/credentials/{credential['id']}/revoke",
        json={"reason_code": "fraud"},
        headers=other_tenant.headers,
    )
    assert response.status_code == 404


async def test_an_institution_without_suspension_issues_credentials_that_cannot_be_suspended(
    client: httpx.AsyncClient, operator: str
) -> None:
    plain = await create_tenant(client, operator)
    assert plain.institution["suspendable_credentials"] is False
    credential = await issue(client, plain, (await published_achievement(client, plain))["id"])
    refused = await _post(client, plain, credential, "suspend", reason_code="under_investigation")
    assert refused.status_code == 409
    assert refused.json()["code"] == "suspension_not_offered"
    shown = await client.get(f"/v1/credentials/{credential['id']}", headers=plain.headers)
    assert shown.json()["state"] == "active"
    # Switching it on changes the credentials issued from then on, not the ones before.
    switched = await client.patch(
        f"/v1/institutions/{plain.id}",
        json={"suspendable_credentials": True},
        headers=plain.headers,
    )
    assert switched.status_code == 200, switched.text
    later = await issue(client, plain, credential["achievement_id"])
    suspended = await _post(client, plain, later, "suspend", reason_code="under_investigation")
    assert suspended.status_code == 200, suspended.text
    again = await _post(client, plain, credential, "suspend", reason_code="under_investigation")
    assert again.status_code == 409
