"""One institution never sees or touches another's data: always 404, as if it did not exist."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.credentials.helpers import issue, issue_payload, published_achievement
from tests.factories import Tenant, achievement_payload

ALIEN = "00000000-0000-4000-8000-000000000000"


async def _resources_of(client: httpx.AsyncClient, owner: Tenant) -> dict[str, str]:
    unit = (
        await client.post(
            "/v1/org-units", json={"name": "Faculteit Techniek"}, headers=owner.headers
        )
    ).json()
    achievement = await published_achievement(client, owner)
    credential = await issue(client, owner, achievement["id"])
    api_client = (await client.get("/v1/api-clients", headers=owner.headers)).json()[0]
    return {
        "institution": owner.id,
        "unit": unit["id"],
        "achievement": achievement["id"],
        "credential": credential["id"],
        "api_client": api_client["id"],
    }


REQUESTS: list[tuple[str, str, str, dict[str, Any] | None]] = [
    ("GET", "/v1/institutions/{institution}", "institution", None),
    ("PATCH", "/v1/institutions/{institution}", "institution", {"display_name": "Taken over"}),
    ("GET", "/v1/org-units/{unit}", "unit", None),
    ("PATCH", "/v1/org-units/{unit}", "unit", {"name": "Renamed"}),
    ("GET", "/v1/achievements/{achievement}", "achievement", None),
    ("PATCH", "/v1/achievements/{achievement}", "achievement", {"title": "Renamed"}),
    ("POST", "/v1/achievements/{achievement}/publish", "achievement", None),
    ("POST", "/v1/achievements/{achievement}/archive", "achievement", None),
    ("GET", "/v1/achievements/{achievement}/versions", "achievement", None),
    ("GET", "/v1/credentials/{credential}", "credential", None),
    ("DELETE", "/v1/api-clients/{api_client}", "api_client", None),
]


@pytest.mark.parametrize(("method", "template", "kind", "body"), REQUESTS)
async def test_other_institutions_resource_is_not_found(
    client: httpx.AsyncClient,
    tenant: Tenant,
    other_tenant: Tenant,
    method: str,
    template: str,
    kind: str,
    body: dict[str, Any] | None,
) -> None:
    owned = await _resources_of(client, tenant)
    foreign = await client.request(
        method, template.format(**owned), json=body, headers=other_tenant.headers
    )
    missing = await client.request(
        method, template.format(**{kind: ALIEN}), json=body, headers=other_tenant.headers
    )
    assert foreign.status_code == 404, foreign.text
    assert foreign.json() == missing.json()
    mine = await client.request(
        "GET",
        template.format(**owned).removesuffix("/publish").removesuffix("/archive"),
        headers=tenant.headers,
    )
    assert mine.status_code in (200, 405)


async def test_lists_show_only_own_institution(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    owned = await _resources_of(client, tenant)
    for path in ("/v1/achievements", "/v1/credentials", "/v1/audit-events"):
        items = (await client.get(path, headers=other_tenant.headers)).json()["items"]
        assert all(
            owned["achievement"] not in str(i) and owned["credential"] not in str(i) for i in items
        ), path
    for path in ("/v1/org-units", "/v1/api-clients", "/v1/keys", "/v1/institutions"):
        listed = str((await client.get(path, headers=other_tenant.headers)).json())
        assert owned["unit"] not in listed
        assert owned["api_client"] not in listed
        assert owned["institution"] not in listed


async def test_issuing_from_another_institutions_achievement_looks_like_unknown(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    achievement = await published_achievement(client, tenant)
    response = await client.post(
        "/v1/credentials", json=issue_payload(achievement["id"]), headers=other_tenant.headers
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "unknown_achievement"


async def test_references_to_another_institution_are_refused(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    owned = await _resources_of(client, tenant)
    response = await client.post(
        "/v1/achievements",
        json=achievement_payload(
            org_unit_id=owned["unit"], stackability={"stacks_into": [owned["achievement"]]}
        ),
        headers=other_tenant.headers,
    )
    assert response.status_code == 422
    codes = {e["code"] for e in response.json()["errors"]}
    assert codes == {"unknown_org_unit", "unknown_achievement"}


async def test_institution_admin_cannot_make_keys_for_another_institution(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    response = await client.post(
        "/v1/api-clients",
        json={"name": "sneaky", "scopes": ["credentials:issue"], "institution_id": tenant.id},
        headers=other_tenant.headers,
    )
    assert response.status_code == 404


async def test_operator_key_holds_no_institution_data(
    client: httpx.AsyncClient, operator: str
) -> None:
    response = await client.get("/v1/achievements", headers={"Authorization": f"Bearer {operator}"})
    assert response.status_code == 403


async def test_unknown_uuid_and_malformed_id(client: httpx.AsyncClient, tenant: Tenant) -> None:
    assert (
        await client.get(f"/v1/achievements/{uuid.uuid4()}", headers=tenant.headers)
    ).status_code == 404
    malformed = await client.get("/v1/achievements/not-a-uuid", headers=tenant.headers)
    assert malformed.status_code == 422
    assert malformed.json()["errors"][0]["parameter"] == "achievement_id"
