"""Requests over REST: an LMS asks on the learner's behalf, staff list, approve and deny."""

from __future__ import annotations

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.credentials.helpers import published_achievement
from tests.factories import Tenant, achievement_payload, add_key
from tests.learner_requests.support import (
    LEARNER,
    ask,
    asked,
    audit_actions,
    outbox_events,
    stored_counts,
)


async def test_a_request_is_stored_pending_with_the_learner_sealed(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    achievement = await published_achievement(client, tenant)
    created = await asked(
        client, tenant, achievement["id"], text="Ran the pilot.", url="https://example.org/work"
    )
    assert created["status"] == "pending"
    assert created["source"] == "api"
    assert created["evidence_text"] == "Ran the pilot."
    assert created["evidence_url"] == "https://example.org/work"
    assert created["external_credential"] is None
    async with sessionmaker() as session:
        row = (await session.execute(text("SELECT * FROM credential_requests"))).one()
    stored = " ".join(str(v) for v in row)
    for clear in LEARNER.values():
        assert clear not in stored
        assert clear.lower() not in stored
    shown = await client.get(f"/v1/credential-requests/{created['id']}", headers=tenant.headers)
    assert shown.status_code == 200
    assert shown.json() == created


async def test_approving_issues_the_credential_as_issuance_does(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    outbox: None,
) -> None:
    achievement = await published_achievement(client, tenant)
    created = await asked(client, tenant, achievement["id"], url="https://example.org/work")
    approved = await client.post(
        f"/v1/credential-requests/{created['id']}/approve",
        json={"reason": "Portfolio checked."},
        headers=tenant.headers,
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    credential = await client.get(
        f"/v1/credentials/{approved.json()['credential_id']}", headers=tenant.headers
    )
    assert credential.status_code == 200
    document = credential.json()["credential"]
    assert document["credentialSubject"]["achievement"]["name"] == achievement["title"]
    assert document["evidence"][0]["id"] == "https://example.org/work"
    assert len(credential.json()["status"]) >= 1

    again = await client.post(
        f"/v1/credential-requests/{created['id']}/approve", headers=tenant.headers
    )
    assert again.status_code == 409
    assert again.json()["code"] == "request_not_pending"
    denied_late = await client.post(
        f"/v1/credential-requests/{created['id']}/deny",
        json={"reason": "Too late."},
        headers=tenant.headers,
    )
    assert denied_late.status_code == 409
    assert denied_late.json()["code"] == "request_not_pending"

    actions = [action for action, _ in await audit_actions(sessionmaker)]
    assert actions.count("request.created") == 1
    assert actions.count("request.approved") == 1
    assert actions.count("credential.issued") == 1
    events = [e["type"] for e in await outbox_events(sessionmaker)]
    assert sorted(events) == ["credential.issued", "request.approved", "request.created"]
    for event in await outbox_events(sessionmaker):
        assert "Sanne" not in str(event)
        assert "s1234567" not in str(event)
    async with sessionmaker() as session:
        sealed = await session.scalar(text("SELECT learner_sealed FROM credential_requests"))
    assert sealed is None  # dropped once decided


async def test_denying_keeps_the_reason_and_issues_nothing(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    outbox: None,
) -> None:
    achievement = await published_achievement(client, tenant)
    created = await asked(client, tenant, achievement["id"])
    no_reason = await client.post(
        f"/v1/credential-requests/{created['id']}/deny", json={}, headers=tenant.headers
    )
    assert no_reason.status_code == 422
    denied = await client.post(
        f"/v1/credential-requests/{created['id']}/deny",
        json={"reason": "The portfolio covers another course."},
        headers=tenant.headers,
    )
    assert denied.status_code == 200, denied.text
    assert denied.json()["status"] == "denied"
    assert denied.json()["reason"] == "The portfolio covers another course."
    assert denied.json()["credential_id"] is None
    listed = await client.get("/v1/credentials", headers=tenant.headers)
    assert listed.json()["items"] == []
    events = sorted(e["type"] for e in await outbox_events(sessionmaker))
    assert events == ["request.created", "request.denied"]
    assert "request.denied" in [a for a, _ in await audit_actions(sessionmaker)]


async def test_staff_list_pending_requests_page_by_page(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    achievement = await published_achievement(client, tenant)
    made = [await asked(client, tenant, achievement["id"]) for _ in range(3)]
    await client.post(
        f"/v1/credential-requests/{made[0]['id']}/deny",
        json={"reason": "No."},
        headers=tenant.headers,
    )
    first = await client.get("/v1/credential-requests?limit=1", headers=tenant.headers)
    assert first.status_code == 200
    assert [r["id"] for r in first.json()["items"]] == [made[1]["id"]]
    cursor = first.json()["next_cursor"]
    second = await client.get(
        f"/v1/credential-requests?limit=1&cursor={cursor}", headers=tenant.headers
    )
    assert [r["id"] for r in second.json()["items"]] == [made[2]["id"]]
    assert second.json()["next_cursor"] is None
    denied = await client.get("/v1/credential-requests?status=denied", headers=tenant.headers)
    assert [r["id"] for r in denied.json()["items"]] == [made[0]["id"]]


async def test_bulk_approval_reports_each_and_one_failure_undoes_no_other(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    outbox: None,
) -> None:
    achievement = await published_achievement(client, tenant)
    first, second, third = [await asked(client, tenant, achievement["id"]) for _ in range(3)]
    await client.post(
        f"/v1/credential-requests/{second['id']}/deny",
        json={"reason": "No."},
        headers=tenant.headers,
    )
    unknown = "00000000-0000-4000-8000-000000000000"
    response = await client.post(
        "/v1/credential-requests/bulk-approve",
        json={"ids": [first["id"], second["id"], unknown, third["id"]]},
        headers=tenant.headers,
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["approved", "failed", "failed", "approved"]
    assert results[1]["error"]["code"] == "request_not_pending"
    assert results[2]["error"]["code"] == "not_found"
    listed = await client.get("/v1/credentials", headers=tenant.headers)
    issued = {c["id"] for c in listed.json()["items"]}
    assert issued == {results[0]["credential_id"], results[3]["credential_id"]}
    events = [e["type"] for e in await outbox_events(sessionmaker)]
    assert events.count("request.approved") == 2
    assert events.count("credential.issued") == 2


async def test_bad_requests_are_problems_and_store_nothing(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    achievement = await published_achievement(client, tenant)
    before = await stored_counts(sessionmaker)
    no_evidence = await client.post(
        "/v1/credential-requests",
        json={"achievement_id": achievement["id"], "learner": LEARNER, "evidence": {}},
        headers=tenant.headers,
    )
    assert no_evidence.status_code == 422
    assert no_evidence.headers["content-type"].startswith("application/problem+json")
    plain_http = await ask(client, tenant, achievement["id"], url="http://example.org/work")
    assert plain_http.status_code == 422
    unknown = await ask(client, tenant, "00000000-0000-4000-8000-000000000000", text="x")
    assert unknown.status_code == 404
    draft = await client.post(
        "/v1/achievements", json=achievement_payload(title="A draft"), headers=tenant.headers
    )
    unpublished = await ask(client, tenant, draft.json()["id"], text="x")
    assert unpublished.status_code == 422
    assert unpublished.json()["code"] == "achievement_not_published"
    for badge in ("%%%", "¬ýU"):  # base64's own alphabet, and not even ASCII
        not_base64 = await ask(client, tenant, achievement["id"], external_badge=badge)
        assert not_base64.status_code == 422, badge
        assert not_base64.json()["code"] == "credential_not_readable"
    assert await stored_counts(sessionmaker) == before


async def test_asking_needs_the_requests_scope_and_deciding_the_issuing_one(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    achievement = await published_achievement(client, tenant)
    reader = {"Authorization": f"Bearer {await add_key(client, tenant, {'credentials:read'})}"}
    lms = {"Authorization": f"Bearer {await add_key(client, tenant, {'requests:write'})}"}
    refused = await client.post("/v1/credential-requests", json={"x": 1}, headers=reader)
    assert refused.status_code in (403, 422)
    body = {"achievement_id": achievement["id"], "learner": LEARNER, "evidence": {"text": "x"}}
    assert (
        await client.post("/v1/credential-requests", json=body, headers=reader)
    ).status_code == 403
    created = await client.post("/v1/credential-requests", json=body, headers=lms)
    assert created.status_code == 201, created.text
    assert (await client.get("/v1/credential-requests", headers=lms)).status_code == 403
    approve = await client.post(
        f"/v1/credential-requests/{created.json()['id']}/approve", headers=lms
    )
    assert approve.status_code == 403
