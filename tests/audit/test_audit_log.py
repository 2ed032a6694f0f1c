from __future__ import annotations

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.credentials.helpers import issue, published_achievement
from tests.factories import Tenant, add_key


async def test_changes_are_audited_with_actor_and_request_id(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    achievement = await published_achievement(client, tenant)
    issued = await issue(client, tenant, achievement["id"])
    response = await client.get("/v1/audit-events", headers={**tenant.headers})
    assert response.status_code == 200
    events = response.json()["items"]
    actions = [e["action"] for e in events]
    assert actions[:3] == ["credential.issued", "achievement.published", "achievement.created"]
    issued_event = events[0]
    assert issued_event["target_id"] == issued["id"]
    assert issued_event["actor"].startswith("api_client:")
    assert issued_event["request_id"]
    assert "key.activated" in actions
    assert "institution.created" in actions


async def test_request_id_is_taken_from_the_caller(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    response = await client.post(
        "/v1/org-units",
        json={"name": "Faculteit Gezondheid"},
        headers={**tenant.headers, "X-Request-ID": "sis-batch-42"},
    )
    assert response.headers["x-request-id"] == "sis-batch-42"
    events = (
        await client.get("/v1/audit-events?action=org_unit.created", headers=tenant.headers)
    ).json()["items"]
    assert events[0]["request_id"] == "sis-batch-42"


async def test_audit_log_pages_with_a_cursor(client: httpx.AsyncClient, tenant: Tenant) -> None:
    for i in range(5):
        await client.post("/v1/org-units", json={"name": f"Unit {i}"}, headers=tenant.headers)
    first = (await client.get("/v1/audit-events?limit=2", headers=tenant.headers)).json()
    second = (
        await client.get(
            f"/v1/audit-events?limit=2&cursor={first['next_cursor']}", headers=tenant.headers
        )
    ).json()
    assert first["items"][-1]["id"] > second["items"][0]["id"]
    bad = await client.get("/v1/audit-events?cursor=garbage", headers=tenant.headers)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["code"] == "invalid_cursor"


async def test_only_institution_admins_read_the_audit_log(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    reader = await add_key(client, tenant, {"credentials:read"})
    response = await client.get("/v1/audit-events", headers={"Authorization": f"Bearer {reader}"})
    assert response.status_code == 403


async def test_audit_rows_cannot_be_changed_or_deleted(
    tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    for statement in ("UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events"):
        async with sessionmaker() as session:
            with pytest.raises(DBAPIError, match="append-only"):
                await session.execute(text(statement))
