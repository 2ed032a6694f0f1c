"""A pathway is checked when its achievement is saved, and versioned like the other elements."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.credentials.helpers import issue
from tests.factories import Tenant, achievement_payload
from tests.graphql.test_catalogue import gql
from tests.pathways.support import components, run_pathways, stacked, stacked_payload


def _codes(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 422, response.text
    return {e["pointer"]: e["code"] for e in response.json().get("errors") or []}


async def _create(
    client: httpx.AsyncClient, tenant: Tenant, payload: dict[str, Any]
) -> httpx.Response:
    return await client.post("/v1/achievements", json=payload, headers=tenant.headers)


async def test_a_component_must_exist(client: httpx.AsyncClient, tenant: Tenant) -> None:
    (module,) = await components(client, tenant, 1, ects=15)
    missing = "00000000-0000-4000-8000-000000000000"
    response = await _create(
        client, tenant, stacked_payload({"rule": "all", "components": [module, missing]})
    )
    assert _codes(response) == {"#/pathway/components/1": "unknown_achievement"}


async def test_only_a_stacked_achievement_has_a_pathway(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    modules = await components(client, tenant, 3)
    formal = achievement_payload(pathway={"rule": "all", "components": modules})
    assert (await _create(client, tenant, formal)).status_code == 422
    bare = achievement_payload(kind="stacked")
    assert (await _create(client, tenant, bare)).status_code == 422


async def test_the_rule_must_guarantee_the_stacked_achievements_credits(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    modules = await components(client, tenant, 3)
    two_of = {"rule": "n_of", "n": 2, "components": modules}
    assert _codes(await _create(client, tenant, stacked_payload(two_of))) == {
        "#/pathway": "pathway_ects_short"
    }
    too_many = await components(client, tenant, 2, ects=20)
    every = {"rule": "all", "components": too_many}
    response = await _create(client, tenant, stacked_payload(every, ects=30))
    assert _codes(response) == {"#/pathway": "pathway_ects_out_of_bounds"}


async def test_a_pathway_cannot_lead_back_to_itself(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    modules = await components(client, tenant, 3)
    inner = await stacked(client, tenant, {"rule": "all", "components": modules})
    outer = await stacked(client, tenant, {"rule": "all", "components": [inner]})
    response = await client.patch(
        f"/v1/achievements/{inner}",
        json={"pathway": {"rule": "all", "components": [*modules, outer]}},
        headers=tenant.headers,
    )
    assert _codes(response) == {"#/pathway/components": "pathway_cycle"}
    itself = await client.patch(
        f"/v1/achievements/{inner}",
        json={"pathway": {"rule": "all", "components": [*modules, inner]}},
        headers=tenant.headers,
    )
    assert _codes(itself) == {"#/pathway/components/3": "pathway_cycle"}


async def test_a_pathway_edited_after_issuance_makes_a_new_version(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    modules = await components(client, tenant, 4)
    certificate = await stacked(client, tenant, {"rule": "all", "components": modules[:3]})
    for module in modules[:3]:
        await issue(client, tenant, module)
    await run_pathways(sessionmaker)
    edited = await client.patch(
        f"/v1/achievements/{certificate}",
        json={"pathway": {"rule": "n_of", "n": 3, "components": modules}},
        headers=tenant.headers,
    )
    assert edited.status_code == 200, edited.text
    versions = await client.get(f"/v1/achievements/{certificate}/versions", headers=tenant.headers)
    rules = [(v["version"], v["frozen"], v["pathway"]["rule"]) for v in versions.json()]
    assert sorted(rules) == [(1, True, "all"), (2, False, "n_of")]


async def test_the_catalogue_shows_what_counts_towards_what(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    modules = await components(client, tenant, 3)
    certificate = await stacked(client, tenant, {"rule": "all", "components": modules})
    body = await gql(
        client,
        "query($id: ID!) { achievement(id: $id) { kind pathway pathwayComponents { id title } } }",
        {"id": certificate},
    )
    found = body["data"]["achievement"]
    assert found["kind"] == "stacked"
    assert found["pathway"]["rule"] == "all"
    assert [c["id"] for c in found["pathwayComponents"]] == modules
