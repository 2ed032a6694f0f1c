"""API keys are looked up outside the request's transaction, once for a crowd of requests."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event

from app.process_cache import clear_all as clear_process_caches
from tests.credentials.helpers import issue_payload, published_achievement
from tests.factories import Tenant


@pytest.fixture
def key_lookups(app: FastAPI) -> Iterator[list[str]]:
    """The statements that read API clients while the test runs."""
    seen: list[str] = []
    engine = app.state.engine.sync_engine

    def note(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if "FROM api_clients" in statement:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    yield seen
    event.remove(engine, "before_cursor_execute", note)


async def test_requests_that_find_the_key_cache_empty_look_the_key_up_once(
    client: httpx.AsyncClient, tenant: Tenant, key_lookups: list[str]
) -> None:
    clear_process_caches()
    responses = await asyncio.gather(
        *(client.get("/v1/achievements", headers=tenant.headers) for _ in range(30))
    )
    assert {r.status_code for r in responses} == {200}
    assert len(key_lookups) == 1


async def test_more_issuing_requests_than_pooled_connections_with_a_cold_key_cache(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant, key_lookups: list[str]
) -> None:
    # Requests waiting for a shared issuing transaction hold no connection: were the key looked
    # up in each request's own transaction, the pool (10 + 10) would be held by waiters.
    achievement = await published_achievement(client, tenant)
    clear_process_caches()
    key_lookups.clear()
    pool = app.state.engine.sync_engine.pool
    concurrency = pool.size() + pool._max_overflow + 10
    responses = await asyncio.gather(
        *(
            client.post(
                "/v1/credentials",
                json=issue_payload(
                    achievement["id"], learner={"name": "L", "student_number": f"s{i}"}
                ),
                headers=tenant.headers,
            )
            for i in range(concurrency)
        )
    )
    assert {r.status_code for r in responses} == {201}
    assert len(key_lookups) == 1


async def test_an_unknown_key_is_refused_for_every_request_of_a_crowd(
    client: httpx.AsyncClient, key_lookups: list[str]
) -> None:
    headers = {"Authorization": "Bearer stapel_0123456789abcdef_" + "x" * 43}
    responses = await asyncio.gather(
        *(client.get("/v1/achievements", headers=headers) for _ in range(10))
    )
    assert {r.status_code for r in responses} == {401}
    assert len(key_lookups) == 1
