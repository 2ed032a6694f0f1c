"""Staff mutations over GraphQL: the same services, scopes, tenancy and error codes as REST."""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories import Tenant, achievement_payload, add_key
from tests.graphql.test_catalogue import gql

CREATE = """mutation($input: JSON!) { createAchievement(input: $input) { id title version } }"""
UPDATE = """mutation($id: ID!, $input: JSON!) { updateAchievement(id: $id, input: $input) {
  title version } }"""
PUBLISH = """mutation($id: ID!) { publishAchievement(id: $id) { id } }"""
ARCHIVE = """mutation($id: ID!) { archiveAchievement(id: $id) { id } }"""


def payload_without_meta() -> dict[str, Any]:
    body = achievement_payload()
    body.pop("sis_course_codes")
    return body


def code(body: dict[str, Any]) -> str:
    return str(body["errors"][0]["extensions"]["code"])


async def test_create_update_publish_and_archive(client: httpx.AsyncClient, tenant: Tenant) -> None:
    created = await gql(client, CREATE, {"input": payload_without_meta()}, tenant.headers)
    node = created["data"]["createAchievement"]
    assert node["version"] == 1
    updated = await gql(
        client, UPDATE, {"id": node["id"], "input": {"title": "Renamed"}}, tenant.headers
    )
    assert updated["data"]["updateAchievement"]["title"] == "Renamed"
    assert "errors" not in await gql(client, PUBLISH, {"id": node["id"]}, tenant.headers)
    listed = await client.get(f"/v1/achievements/{node['id']}", headers=tenant.headers)
    assert listed.json()["state"] == "published"
    again = await gql(client, PUBLISH, {"id": node["id"]}, tenant.headers)
    assert code(again) == "invalid_state"
    assert "errors" not in await gql(client, ARCHIVE, {"id": node["id"]}, tenant.headers)


async def test_mutations_need_a_key_with_catalogue_scope(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    anonymous = await gql(client, CREATE, {"input": payload_without_meta()})
    assert code(anonymous) == "unauthenticated"
    reader = await add_key(client, tenant, {"credentials:read"})
    forbidden = await gql(
        client, CREATE, {"input": payload_without_meta()}, {"Authorization": f"Bearer {reader}"}
    )
    assert code(forbidden) == "insufficient_scope"
    listed = await client.get("/v1/achievements", headers=tenant.headers)
    assert listed.json()["items"] == []


async def test_invalid_input_and_policy_errors_carry_rest_codes(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    invalid = await gql(
        client, CREATE, {"input": {**payload_without_meta(), "eqf_level": 9}}, tenant.headers
    )
    assert code(invalid) == "validation_failed"
    assert invalid["errors"][0]["extensions"]["errors"][0]["pointer"] == "#/eqf_level"
    policy = await gql(
        client, CREATE, {"input": {**payload_without_meta(), "ects": 45}}, tenant.headers
    )
    assert code(policy) == "policy_violation"
    assert policy["errors"][0]["extensions"]["errors"][0]["code"] == "ects_out_of_bounds"


async def test_one_institution_cannot_edit_anothers(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    created = await gql(client, CREATE, {"input": payload_without_meta()}, tenant.headers)
    ident = created["data"]["createAchievement"]["id"]
    for query, variables in (
        (UPDATE, {"id": ident, "input": {"title": "Taken"}}),
        (PUBLISH, {"id": ident}),
        (ARCHIVE, {"id": ident}),
    ):
        assert code(await gql(client, query, variables, other_tenant.headers)) == "not_found"
    assert code(await gql(client, PUBLISH, {"id": "not-an-id"}, tenant.headers)) == "not_found"
