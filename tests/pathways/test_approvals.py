"""Stacked achievements that ask staff first: the queue, approving and denying."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.audit.models import AuditEvent
from tests.credentials.helpers import issue
from tests.factories import Tenant, add_key
from tests.pathways.support import components, credentials_of, run_pathways, stacked


async def _queued(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> tuple[str, list[dict[str, Any]], dict[str, Any]]:
    modules = await components(client, tenant, 3)
    certificate = await stacked(
        client, tenant, {"rule": "all", "components": modules, "on_satisfied": "approve"}
    )
    issued = [await issue(client, tenant, m) for m in modules]
    await run_pathways(sessionmaker)
    listed = await client.get("/v1/pathway-approvals", headers=tenant.headers)
    assert listed.status_code == 200, listed.text
    (request,) = listed.json()["items"]
    return certificate, issued, request


async def test_a_satisfied_rule_waits_for_approval_and_approving_issues(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    certificate, issued, request = await _queued(client, tenant, sessionmaker)
    assert await credentials_of(sessionmaker, certificate) == []
    assert request["status"] == "pending"
    assert request["achievement_id"] == certificate
    assert sorted(request["component_ids"]) == sorted(c["id"] for c in issued)
    assert request["ects"] == 15

    approved = await client.post(
        f"/v1/pathway-approvals/{request['id']}/approve",
        json={"reason": "Checked by the exam board."},
        headers=tenant.headers,
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    (held,) = await credentials_of(sessionmaker, certificate)
    assert approved.json()["credential_id"] == str(held.id)

    again = await client.post(
        f"/v1/pathway-approvals/{request['id']}/approve", headers=tenant.headers
    )
    assert again.status_code == 409
    async with sessionmaker() as session:
        audited = await session.scalar(
            select(AuditEvent).where(AuditEvent.action == "pathway_approval.approved")
        )
    assert audited is not None
    assert audited.data["reason"] == "Checked by the exam board."


async def test_a_denied_request_is_not_asked_again(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    certificate, _, request = await _queued(client, tenant, sessionmaker)
    denied = await client.post(
        f"/v1/pathway-approvals/{request['id']}/deny", headers=tenant.headers
    )
    assert denied.status_code == 200, denied.text
    assert denied.json()["status"] == "denied"
    await issue(client, tenant, (await components(client, tenant, 1))[0])
    pending = await client.get("/v1/pathway-approvals", headers=tenant.headers)
    assert pending.json()["items"] == []
    assert await credentials_of(sessionmaker, certificate) == []


async def test_approving_checks_the_rule_again(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    certificate, issued, request = await _queued(client, tenant, sessionmaker)
    revoked = await client.post(
        f"/v1/credentials/{issued[0]['id']}/revoke",
        json={"reason_code": "fraud"},
        headers=tenant.headers,
    )
    assert revoked.status_code == 200, revoked.text
    approved = await client.post(
        f"/v1/pathway-approvals/{request['id']}/approve", headers=tenant.headers
    )
    assert approved.status_code == 409
    assert await credentials_of(sessionmaker, certificate) == []


async def test_the_queue_needs_the_issuing_scope(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    _, _, request = await _queued(client, tenant, sessionmaker)
    reader = {"Authorization": f"Bearer {await add_key(client, tenant, {'credentials:read'})}"}
    assert (await client.get("/v1/pathway-approvals", headers=reader)).status_code == 403
    refused = await client.post(f"/v1/pathway-approvals/{request['id']}/approve", headers=reader)
    assert refused.status_code == 403


async def test_an_unknown_request_is_404_and_a_malformed_body_400(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    unknown = "00000000-0000-4000-8000-000000000000"
    missing = await client.post(f"/v1/pathway-approvals/{unknown}/deny", headers=tenant.headers)
    assert missing.status_code == 404
    malformed = await client.post(
        f"/v1/pathway-approvals/{unknown}/deny",
        content=b"{not json",
        headers={**tenant.headers, "Content-Type": "application/json"},
    )
    assert malformed.status_code == 400
    assert malformed.headers["content-type"] == "application/problem+json"
