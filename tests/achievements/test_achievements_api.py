from __future__ import annotations

from typing import Any

import httpx

from tests.factories import Tenant, achievement_payload, informal_badge_payload


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


async def _create(client: httpx.AsyncClient, tenant: Tenant, **overrides: Any) -> httpx.Response:
    return await client.post(
        "/v1/achievements", json=achievement_payload(**overrides), headers=tenant.headers
    )


async def test_formal_micro_credential_is_created_as_draft_with_every_element(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    response = await _create(client, tenant)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["state"] == "draft"
    assert body["version"] == 1
    sent = achievement_payload()
    for field in (
        "title",
        "ects",
        "eqf_level",
        "qf_ehea_cycle",
        "assessment",
        "participation_form",
        "quality_assurance",
        "prerequisites",
        "supervision",
        "languages",
        "field_of_study",
        "learning_outcomes",
        "workload_hours",
        "validity_months",
    ):
        assert _without_nulls(body[field]) == sent[field], field
    assert body["achievement_url"].endswith(f"/achievements/{body['id']}/versions/1")


async def test_publish_then_archive(client: httpx.AsyncClient, tenant: Tenant) -> None:
    achievement = (await _create(client, tenant)).json()
    published = await client.post(
        f"/v1/achievements/{achievement['id']}/publish", headers=tenant.headers
    )
    assert published.status_code == 200
    assert published.json()["state"] == "published"
    again = await client.post(
        f"/v1/achievements/{achievement['id']}/publish", headers=tenant.headers
    )
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_state"
    archived = await client.post(
        f"/v1/achievements/{achievement['id']}/archive", headers=tenant.headers
    )
    assert archived.json()["state"] == "archived"


async def test_informal_badge_needs_no_ects_eqf_or_quality_assurance(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    response = await client.post(
        "/v1/achievements", json=informal_badge_payload(), headers=tenant.headers
    )
    assert response.status_code == 201, response.text
