"""The per-process catalogue caches: bounded staleness, invalidation on publish, archive, edit.

A change made outside the achievements service (straight in the database, like an edit through
another process) is what shows whether a response came from the cache.
"""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import process_cache
from app.achievements import catalogue, catalogue_cache
from app.achievements.catalogue import CatalogueFilter
from app.achievements.models import AchievementVersion
from app.graphql.response_cache import RESPONSES
from tests.factories import Tenant, achievement_payload
from tests.graphql.test_catalogue import PAGE, gql, publish, titles

VARIABLES = {"first": 50}


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The caches' clock, moved by hand: no sleeping, no timed assertions."""
    now = [1000.0]
    monkeypatch.setattr(process_cache, "_clock", lambda: now[0])
    return now


async def _retitle_behind_the_service(
    sessionmaker: async_sessionmaker[AsyncSession], ident: str, title: str
) -> None:
    async with sessionmaker() as session, session.begin():
        await session.execute(
            update(AchievementVersion)
            .where(AchievementVersion.achievement_id == uuid.UUID(ident))
            .values(title=title)
        )


async def test_a_cached_page_is_served_until_its_seconds_run_out(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: list[float],
) -> None:
    ident = await publish(client, tenant, achievement_payload(title="Before"))
    assert titles(await gql(client, PAGE, VARIABLES)) == ["Before"]
    await _retitle_behind_the_service(sessionmaker, ident, "After")

    clock[0] += catalogue_cache.ttl_seconds() - 0.5
    assert titles(await gql(client, PAGE, VARIABLES)) == ["Before"]
    clock[0] += 1
    assert titles(await gql(client, PAGE, VARIABLES)) == ["After"]


async def test_publishing_archiving_and_editing_show_at_once(
    client: httpx.AsyncClient, tenant: Tenant, clock: list[float]
) -> None:
    first = await publish(client, tenant, achievement_payload(title="First"))
    assert titles(await gql(client, PAGE, VARIABLES)) == ["First"]

    second = await publish(client, tenant, achievement_payload(title="Second"))
    body = await gql(client, PAGE, VARIABLES)
    assert titles(body) == ["First", "Second"]
    assert body["data"]["achievements"]["totalCount"] == 2

    archived = await client.post(f"/v1/achievements/{first}/archive", headers=tenant.headers)
    assert archived.status_code == 200, archived.text
    body = await gql(client, PAGE, VARIABLES)
    assert titles(body) == ["Second"]
    assert body["data"]["achievements"]["totalCount"] == 1

    edited = await client.patch(
        f"/v1/achievements/{second}", json={"title": "Second, edited"}, headers=tenant.headers
    )
    assert edited.status_code == 200, edited.text
    assert titles(await gql(client, PAGE, VARIABLES)) == ["Second, edited"]


async def test_mutations_invalidate_too(client: httpx.AsyncClient, tenant: Tenant) -> None:
    ident = await publish(client, tenant, achievement_payload(title="Listed"))
    assert titles(await gql(client, PAGE, VARIABLES)) == ["Listed"]
    archive = "mutation($id: ID!) { archiveAchievement(id: $id) { id } }"
    body = await gql(client, archive, {"id": ident}, headers=tenant.headers)
    assert "errors" not in body, body
    assert titles(await gql(client, PAGE, VARIABLES)) == []


async def test_requests_with_a_key_and_failed_queries_are_not_cached(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: list[float],
) -> None:
    ident = await publish(client, tenant, achievement_payload(title="Before"))
    assert titles(await gql(client, PAGE, VARIABLES, headers=tenant.headers)) == ["Before"]
    assert len(RESPONSES) == 0
    bad = await gql(client, PAGE, {"first": 500})
    assert bad["errors"][0]["extensions"]["code"] == "page_too_large"
    assert len(RESPONSES) == 0

    assert titles(await gql(client, PAGE, VARIABLES)) == ["Before"]
    assert len(RESPONSES) == 1
    await _retitle_behind_the_service(sessionmaker, ident, "After")
    assert titles(await gql(client, PAGE, VARIABLES, headers=tenant.headers)) == ["After"]
    assert titles(await gql(client, PAGE, {"first": 49})) == ["After"]  # other variables


async def test_a_result_read_before_a_change_is_not_kept(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await publish(client, tenant, achievement_payload(title="Only"))
    since = catalogue_cache.generation()
    async with sessionmaker() as session:
        found = await catalogue.summary(session, CatalogueFilter())
    catalogue_cache.changed()  # e.g. a publish committed while the summary was computed
    catalogue.SUMMARIES.keep(CatalogueFilter(), found, since)
    assert catalogue.SUMMARIES.get(CatalogueFilter()) is None


async def test_the_one_statement_summary_equals_the_count_and_facet_queries(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await publish(client, tenant, achievement_payload(languages=["nl", "en"], eqf_level=5))
    await publish(client, tenant, achievement_payload(languages=["en"], eqf_level=6))
    await publish(client, tenant, achievement_payload(eqf_level=6, participation_form="onsite"))
    for f in (CatalogueFilter(), CatalogueFilter(language="nl"), CatalogueFilter(kind="none")):
        async with sessionmaker() as session:
            found = await catalogue.summary(session, f)
            assert found.total == await catalogue.count(session, f)
            for name, column in catalogue.FACETS.items():
                assert found.facets[name] == await catalogue.facet(session, f, column), name


def test_an_entry_that_ran_out_is_still_there_to_serve_while_it_is_refreshed(
    clock: list[float],
) -> None:
    cache: catalogue_cache.CatalogueCache[str, bytes] = catalogue_cache.CatalogueCache(
        4, 1024, weigh=len
    )
    cache.keep("page", b"old", catalogue_cache.generation())
    clock[0] += catalogue_cache.ttl_seconds() + 1
    assert cache.get("page") is None  # due for a refresh
    assert cache.stale("page") == b"old"  # what waiting clients get meanwhile
    catalogue_cache.changed()
    assert cache.stale("page") is None  # never the state from before a change
