"""The recognition list over REST: edited with catalogue:write, audited, one per issuer."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.audit.models import AuditEvent
from tests.factories import Tenant, add_key

ISSUER = "did:web:elders.example:issuers:uni"


async def test_staff_add_edit_and_remove_a_recognised_issuer(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    created = await client.post(
        "/v1/recognitions",
        json={"issuer_did": ISSUER, "eqf_min": 5, "ects_max": 10},
        headers=tenant.headers,
    )
    assert created.status_code == 201, created.text
    recognition = created.json()
    assert (recognition["issuer_did"], recognition["eqf_min"]) == (ISSUER, 5)

    twice = await client.post(
        "/v1/recognitions", json={"issuer_did": ISSUER}, headers=tenant.headers
    )
    assert twice.status_code == 409

    edited = await client.put(
        f"/v1/recognitions/{recognition['id']}",
        json={"achievement_ids": ["https://elders.example/achievements/1"]},
        headers=tenant.headers,
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["eqf_min"] is None
    listed = await client.get("/v1/recognitions", headers=tenant.headers)
    assert [r["id"] for r in listed.json()] == [recognition["id"]]

    removed = await client.delete(f"/v1/recognitions/{recognition['id']}", headers=tenant.headers)
    assert removed.status_code == 204
    assert (await client.get("/v1/recognitions", headers=tenant.headers)).json() == []
    async with sessionmaker() as session:
        actions = await session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.target_type == "recognition")
            .order_by(AuditEvent.id)
        )
        assert list(actions) == [
            "recognition.created",
            "recognition.updated",
            "recognition.deleted",
        ]


async def test_editing_needs_the_catalogue_scope(client: httpx.AsyncClient, tenant: Tenant) -> None:
    reader = {"Authorization": f"Bearer {await add_key(client, tenant, {'credentials:read'})}"}
    refused = await client.post("/v1/recognitions", json={"issuer_did": ISSUER}, headers=reader)
    assert refused.status_code == 403


async def test_bounds_out_of_order_are_refused(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await client.post(
        "/v1/recognitions",
        json={"issuer_did": ISSUER, "eqf_min": 7, "eqf_max": 5},
        headers=tenant.headers,
    )
    assert response.status_code == 422


async def test_another_institutions_recognition_is_not_found(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    created = await client.post(
        "/v1/recognitions", json={"issuer_did": ISSUER}, headers=tenant.headers
    )
    other = await client.get(
        f"/v1/recognitions/{created.json()['id']}", headers=other_tenant.headers
    )
    assert other.status_code == 404
