from __future__ import annotations

from typing import Any

import httpx

from tests.factories import Tenant, achievement_payload


async def published_achievement(
    client: httpx.AsyncClient, tenant: Tenant, **overrides: Any
) -> dict[str, Any]:
    created = await client.post(
        "/v1/achievements", json=achievement_payload(**overrides), headers=tenant.headers
    )
    assert created.status_code == 201, created.text
    published = await client.post(
        f"/v1/achievements/{created.json()['id']}/publish", headers=tenant.headers
    )
    assert published.status_code == 200, published.text
    body: dict[str, Any] = published.json()
    return body


def issue_payload(achievement_id: str, /, **overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "achievement_id": achievement_id,
        "learner": {
            "name": "Sanne de Vries",
            "student_number": "s1234567",
            "email": "Sanne.deVries@student.voorbeeld.nl",
        },
        "awarded_on": "2026-07-01",
        "assessment_date": "2026-06-24",
        "grade": "8.5",
        "identity_verified": True,
        "sis_reference": "OSIRIS/2025-2026/DLPM-01/result-88231",
    }
    payload.update(overrides)
    return payload


async def issue(
    client: httpx.AsyncClient, tenant: Tenant, achievement_id: str, **overrides: Any
) -> dict[str, Any]:
    response = await client.post(
        "/v1/credentials", json=issue_payload(achievement_id, **overrides), headers=tenant.headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body
