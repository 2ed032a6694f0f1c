from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.factories import Tenant, achievement_payload, create_tenant, informal_badge_payload


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"ects": 2}, "ects_out_of_bounds"),
        ({"ects": 31}, "ects_out_of_bounds"),
        ({"ects": None}, "ects_required"),
        ({"eqf_level": None}, "eqf_level_required"),
        ({"quality_assurance": None}, "quality_assurance_required"),
    ],
)
async def test_formal_micro_credential_rules(
    client: httpx.AsyncClient, tenant: Tenant, change: dict[str, Any], code: str
) -> None:
    response = await client.post(
        "/v1/achievements", json=achievement_payload(**change), headers=tenant.headers
    )
    assert response.status_code == 422
    assert response.json()["code"] == "policy_violation"
    assert [e["code"] for e in response.json()["errors"]] == [code]


async def test_ects_bounds_are_the_institutions(client: httpx.AsyncClient, operator: str) -> None:
    tenant = await create_tenant(client, operator, ects_min=1, ects_max=60)
    ok = await client.post(
        "/v1/achievements", json=achievement_payload(ects=45), headers=tenant.headers
    )
    assert ok.status_code == 201


async def test_unrecognised_institution_cannot_offer_formal_micro_credentials(
    client: httpx.AsyncClient, operator: str
) -> None:
    tenant = await create_tenant(client, operator, recognised=False)
    formal = await client.post(
        "/v1/achievements", json=achievement_payload(), headers=tenant.headers
    )
    assert formal.status_code == 422
    assert formal.json()["errors"][0]["code"] == "institution_not_recognised"
    badge = await client.post(
        "/v1/achievements", json=informal_badge_payload(), headers=tenant.headers
    )
    assert badge.status_code == 201


async def test_informal_badge_carries_no_credits(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await client.post(
        "/v1/achievements", json=informal_badge_payload(ects=3), headers=tenant.headers
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "credits_on_informal_badge"


async def test_losing_recognition_blocks_publishing_formal_achievements(
    client: httpx.AsyncClient, tenant: Tenant, operator: str
) -> None:
    created = (
        await client.post("/v1/achievements", json=achievement_payload(), headers=tenant.headers)
    ).json()
    await client.patch(
        f"/v1/institutions/{tenant.id}",
        json={"recognised": False},
        headers={"Authorization": f"Bearer {operator}"},
    )
    published = await client.post(
        f"/v1/achievements/{created['id']}/publish", headers=tenant.headers
    )
    assert published.status_code == 422


async def test_institution_admin_cannot_grant_itself_recognition(
    client: httpx.AsyncClient, operator: str
) -> None:
    tenant = await create_tenant(client, operator, recognised=False)
    response = await client.patch(
        f"/v1/institutions/{tenant.id}", json={"recognised": True}, headers=tenant.headers
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("change", "pointer"),
    [
        ({"eqf_level": 9}, "#/eqf_level"),
        ({"languages": []}, "#/languages"),
        ({"learning_outcomes": []}, "#/learning_outcomes"),
        (
            {"learning_outcomes": [{"text": "x", "esco_skill": "https://example.org/skill"}]},
            "#/learning_outcomes/0/esco_skill",
        ),
        ({"field_of_study": "abc"}, "#/field_of_study"),
        ({"participation_form": "by-post"}, "#/participation_form"),
        ({"assessment": {"type": "vibes"}}, "#/assessment/type"),
        ({"kind": "certificate"}, "#/kind"),
    ],
)
async def test_invalid_element_is_422_with_pointer(
    client: httpx.AsyncClient, tenant: Tenant, change: dict[str, Any], pointer: str
) -> None:
    response = await client.post(
        "/v1/achievements", json=achievement_payload(**change), headers=tenant.headers
    )
    assert response.status_code == 422
    assert any(e["pointer"].startswith(pointer) for e in response.json()["errors"])


async def test_stackability_links_to_own_achievements(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    minor = (
        await client.post(
            "/v1/achievements",
            json=achievement_payload(title="Minor", ects=30),
            headers=tenant.headers,
        )
    ).json()
    part = await client.post(
        "/v1/achievements",
        json=achievement_payload(
            stackability={"description": "Part of the minor", "stacks_into": [minor["id"]]}
        ),
        headers=tenant.headers,
    )
    assert part.status_code == 201
    assert part.json()["stackability"]["stacks_into"] == [minor["id"]]
    itself = await client.patch(
        f"/v1/achievements/{minor['id']}",
        json={"stackability": {"stacks_into": [minor["id"]]}},
        headers=tenant.headers,
    )
    assert itself.status_code == 422


async def test_empty_patch_is_refused(client: httpx.AsyncClient, tenant: Tenant) -> None:
    created = (
        await client.post("/v1/achievements", json=achievement_payload(), headers=tenant.headers)
    ).json()
    response = await client.patch(
        f"/v1/achievements/{created['id']}", json={}, headers=tenant.headers
    )
    assert response.status_code == 422
