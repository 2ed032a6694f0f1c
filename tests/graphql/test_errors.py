"""GraphQL errors carry stable codes and never the internals of what failed."""

from __future__ import annotations

import json

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.databases import refusing_inserts
from tests.factories import Tenant
from tests.graphql.test_catalogue import gql
from tests.graphql.test_mutations import CREATE, code, payload_without_meta

INSTITUTION = "query($slug: String!) { institution(slug: $slug) { displayName } }"


async def test_a_nul_in_an_inline_argument_is_invalid_characters_without_sql(
    client: httpx.AsyncClient,
) -> None:
    body = await gql(client, '{ institution(slug: "a\\u0000b") { displayName } }')
    assert code(body) == "invalid_characters"
    assert "SELECT" not in str(body)
    assert body.get("data") is None


async def test_a_nul_or_lone_surrogate_in_a_variable_is_invalid_characters(
    client: httpx.AsyncClient,
) -> None:
    for bad in ("a\u0000b", "\ud800"):
        # The standard library writes a lone surrogate as the escape a client would send.
        sent = json.dumps({"query": INSTITUTION, "variables": {"slug": bad}})
        response = await client.post(
            "/graphql", content=sent, headers={"content-type": "application/json"}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert code(body) == "invalid_characters", body
        assert "/slug" in body["errors"][0]["message"]
        assert "SELECT" not in str(body)


async def test_a_storable_variable_still_answers(client: httpx.AsyncClient) -> None:
    body = await gql(client, INSTITUTION, {"slug": "nowhere \U0001f393"})
    assert body == {"data": {"institution": None}}


async def test_an_unexpected_database_error_is_internal_error_with_the_request_id_only(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    payload = payload_without_meta()
    async with refusing_inserts(sessionmaker, "achievements"):
        response = await client.post(
            "/graphql",
            json={"query": CREATE, "variables": {"input": payload}},
            headers={**tenant.headers, "x-request-id": "req-graphql-failure"},
        )
    assert response.status_code == 200, response.text
    [error] = response.json()["errors"]
    assert error["message"] == "Internal server error."
    assert error["extensions"] == {
        "code": "internal_error",
        "status": 500,
        "request_id": "req-graphql-failure",
    }
    for internal in ("INSERT", "achievements", "stapel_test_refuse", payload["title"]):
        assert internal not in response.text


async def test_domain_errors_keep_their_code(client: httpx.AsyncClient) -> None:
    body = await gql(client, CREATE, {"input": payload_without_meta()})
    assert code(body) == "unauthenticated"
