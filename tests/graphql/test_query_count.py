"""No N+1: a page with institutions, units, outcomes and relations costs a fixed few queries."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import event

from app.achievements import catalogue_cache
from tests.factories import Tenant, achievement_payload
from tests.graphql.test_catalogue import PAGE, gql


@contextmanager
def counted_statements(app: FastAPI) -> Iterator[list[str]]:
    statements: list[str] = []
    engine = app.state.engine.sync_engine

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def _catalogue_of(client: httpx.AsyncClient, tenant: Tenant, size: int) -> None:
    unit = (
        await client.post("/v1/org-units", json={"name": "Faculteit"}, headers=tenant.headers)
    ).json()
    items: list[str] = []
    for i in range(size):
        created = await client.post(
            "/v1/achievements",
            json=achievement_payload(
                title=f"Achievement {i}",
                org_unit_id=unit["id"],
                stackability={"stacks_into": items[-1:]},
            ),
            headers=tenant.headers,
        )
        items.append(created.json()["id"])
        await client.post(f"/v1/achievements/{items[-1]}/publish", headers=tenant.headers)


async def test_page_of_10_and_of_100_cost_the_same_small_number_of_queries(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    await _catalogue_of(client, tenant, 100)
    counts = []
    for size in (10, 100):
        catalogue_cache.changed()  # both pages cold: count and facets are cached per filter
        with counted_statements(app) as statements:
            body = await gql(client, PAGE, {"first": size})
        assert "errors" not in body, body["errors"]
        assert len(body["data"]["achievements"]["edges"]) == size
        counts.append(len(statements))
    assert counts[0] == counts[1]
    assert counts[0] <= 12, counts
