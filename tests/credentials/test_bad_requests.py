"""Malformed or disallowed issuance requests get a clear 4xx problem and write nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.audit.models import AuditEvent
from app.credentials.models import Credential
from tests.credentials.helpers import issue_payload, published_achievement
from tests.factories import Tenant, add_key


async def _rows(sessionmaker: async_sessionmaker[AsyncSession]) -> tuple[int, int]:
    async with sessionmaker() as session:
        credentials = (
            await session.execute(select(func.count()).select_from(Credential))
        ).scalar_one()
        issued = (
            await session.execute(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "credential.issued")
            )
        ).scalar_one()
    return int(credentials), int(issued)


@pytest.mark.parametrize(
    ("change", "pointer"),
    [
        ({"learner": {"name": "No Identifier"}}, "#/learner"),
        ({"learner": {"name": "X", "email": "not-an-email"}}, "#/learner/email"),
        ({"learner": {"name": "X", "did": "not a did"}}, "#/learner/did"),
        ({"awarded_on": "yesterday"}, "#/awarded_on"),
        ({"achievement_id": "nope"}, "#/achievement_id"),
        ({"profile": "ldp-vc"}, "#/profile"),
        ({"valid_until": "2030-01-01T00:00:00"}, "#"),
        ({"unexpected": 1}, "#/unexpected"),
        ({"evidence": [{"id": "ftp://x"}]}, "#/evidence/0/id"),
    ],
)
async def test_invalid_issue_request_is_422_with_pointer(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    change: dict[str, Any],
    pointer: str,
) -> None:
    achievement = await published_achievement(client, tenant)
    response = await client.post(
        "/v1/credentials", json=issue_payload(achievement["id"], **change), headers=tenant.headers
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "validation_failed"
    assert any(e["pointer"].startswith(pointer) for e in body["errors"]), body
    assert await _rows(sessionmaker) == (0, 0)


async def test_malformed_json_is_400(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await client.post(
        "/v1/credentials",
        content=b'{"achievement_id": ',
        headers={**tenant.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_request"


async def test_unpublished_achievement_cannot_be_issued(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    achievement = await published_achievement(client, tenant)
    await client.post(f"/v1/achievements/{achievement['id']}/archive", headers=tenant.headers)
    response = await client.post(
        "/v1/credentials", json=issue_payload(achievement["id"]), headers=tenant.headers
    )
    assert response.status_code == 422
    assert response.json()["code"] == "achievement_not_published"
    assert await _rows(sessionmaker) == (0, 0)


async def test_award_date_in_future_is_refused(client: httpx.AsyncClient, tenant: Tenant) -> None:
    achievement = await published_achievement(client, tenant)
    response = await client.post(
        "/v1/credentials",
        json=issue_payload(achievement["id"], awarded_on="2999-01-01"),
        headers=tenant.headers,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "awarded_in_future"


async def test_expiry_in_the_past_is_refused(client: httpx.AsyncClient, tenant: Tenant) -> None:
    achievement = await published_achievement(client, tenant)
    response = await client.post(
        "/v1/credentials",
        json=issue_payload(achievement["id"], valid_until="2020-01-01T00:00:00Z"),
        headers=tenant.headers,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "already_expired"


async def test_missing_key_is_401_and_wrong_scope_403(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    achievement = await published_achievement(client, tenant)
    body = issue_payload(achievement["id"])
    anonymous = await client.post("/v1/credentials", json=body)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == "Bearer"
    garbage = await client.post(
        "/v1/credentials",
        json=body,
        headers={"Authorization": "Bearer stapel_0000000000000000_" + "x" * 43},
    )
    assert garbage.status_code == 401
    reader = await add_key(client, tenant, {"credentials:read"})
    forbidden = await client.post(
        "/v1/credentials", json=body, headers={"Authorization": f"Bearer {reader}"}
    )
    assert forbidden.status_code == 403
    assert forbidden.json()["code"] == "insufficient_scope"
    assert await _rows(sessionmaker) == (0, 0)


async def test_revoked_api_key_stops_working(client: httpx.AsyncClient, tenant: Tenant) -> None:
    key = await add_key(client, tenant, {"credentials:read"})
    clients = (await client.get("/v1/api-clients", headers=tenant.headers)).json()
    target = next(c for c in clients if key.split("_")[1] == c["key_id"])
    revoked = await client.delete(f"/v1/api-clients/{target['id']}", headers=tenant.headers)
    assert revoked.status_code == 200
    response = await client.get("/v1/credentials", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 401


async def test_jwt_representation_and_not_acceptable(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    achievement = await published_achievement(client, tenant)
    issued = (
        await client.post(
            "/v1/credentials", json=issue_payload(achievement["id"]), headers=tenant.headers
        )
    ).json()
    url = f"/v1/credentials/{issued['id']}"
    as_jwt = await client.get(url, headers={**tenant.headers, "Accept": "application/vc+jwt"})
    assert as_jwt.headers["content-type"] == "application/vc+jwt"
    assert as_jwt.text == issued["jwt"]
    html = await client.get(url, headers={**tenant.headers, "Accept": "text/html"})
    assert html.status_code == 406
