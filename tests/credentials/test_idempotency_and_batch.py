from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.credentials import issuance, router, service
from app.credentials.issuance import Accepted, Outcome
from app.credentials.models import Credential
from app.credentials.repository import ROWS_PER_STATEMENT
from tests.credentials.helpers import issue_payload, published_achievement
from tests.factories import Tenant, achievement_payload


async def _count(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    async with sessionmaker() as session:
        return int(
            (await session.execute(select(func.count()).select_from(Credential))).scalar_one()
        )


async def test_same_idempotency_key_and_body_returns_the_same_credential(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    achievement = await published_achievement(client, tenant)
    headers = {**tenant.headers, "Idempotency-Key": "osiris-result-1"}
    first = await client.post(
        "/v1/credentials", json=issue_payload(achievement["id"]), headers=headers
    )
    second = await client.post(
        "/v1/credentials", json=issue_payload(achievement["id"]), headers=headers
    )
    assert first.status_code == 201
    assert second.status_code == 200
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.json()["id"] == first.json()["id"]
    assert second.json()["jwt"] == first.json()["jwt"]
    assert await _count(sessionmaker) == 1


async def test_same_idempotency_key_with_another_body_is_a_conflict(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    achievement = await published_achievement(client, tenant)
    headers = {**tenant.headers, "Idempotency-Key": "osiris-result-2"}
    await client.post("/v1/credentials", json=issue_payload(achievement["id"]), headers=headers)
    other = await client.post(
        "/v1/credentials", json=issue_payload(achievement["id"], grade="6.0"), headers=headers
    )
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_key_reused"
    assert await _count(sessionmaker) == 1


async def test_idempotency_keys_are_per_institution(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    mine = await published_achievement(client, tenant)
    theirs = await published_achievement(client, other_tenant)
    a = await client.post(
        "/v1/credentials",
        json=issue_payload(mine["id"]),
        headers={**tenant.headers, "Idempotency-Key": "k"},
    )
    b = await client.post(
        "/v1/credentials",
        json=issue_payload(theirs["id"]),
        headers={**other_tenant.headers, "Idempotency-Key": "k"},
    )
    assert (a.status_code, b.status_code) == (201, 201)


async def test_batch_reports_each_item_and_one_bad_item_spoils_no_other(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    achievement = await published_achievement(client, tenant)
    draft = (
        await client.post("/v1/achievements", json=achievement_payload(), headers=tenant.headers)
    ).json()
    items: list[dict[str, Any]] = [
        issue_payload(achievement["id"], learner={"name": f"L{i}", "student_number": f"s{i}"})
        for i in range(3)
    ]
    items.append(issue_payload("00000000-0000-0000-0000-000000000000"))
    items.append(issue_payload(draft["id"]))
    items.append(issue_payload(achievement["id"], awarded_on="2999-01-01"))
    response = await client.post(
        "/v1/credentials/batch", json={"items": items}, headers=tenant.headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["issued"], body["failed"]) == (3, 3)
    codes = [r["error"]["code"] for r in body["results"] if r["status"] == "failed"]
    assert codes == ["validation_failed", "achievement_not_published", "validation_failed"]
    assert body["results"][3]["error"]["errors"][0]["code"] == "unknown_achievement"
    assert [r["index"] for r in body["results"]] == list(range(6))
    assert await _count(sessionmaker) == 3


async def test_batch_items_are_idempotent_on_their_own_keys(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    achievement = await published_achievement(client, tenant)
    items = [
        {
            **issue_payload(achievement["id"], learner={"name": "L", "student_number": f"s{i}"}),
            "idempotency_key": f"result-{i}",
        }
        for i in range(4)
    ]
    first = (
        await client.post("/v1/credentials/batch", json={"items": items}, headers=tenant.headers)
    ).json()
    again = (
        await client.post("/v1/credentials/batch", json={"items": items}, headers=tenant.headers)
    ).json()
    assert first["issued"] == 4
    assert (again["issued"], again["replayed"]) == (0, 4)
    assert [r["credential"]["id"] for r in again["results"]] == [
        r["credential"]["id"] for r in first["results"]
    ]
    assert await _count(sessionmaker) == 4


async def test_batch_with_a_key_used_twice_fails_only_the_second_item(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    achievement = await published_achievement(client, tenant)
    item = {**issue_payload(achievement["id"]), "idempotency_key": "dup"}
    body = (
        await client.post(
            "/v1/credentials/batch", json={"items": [item, item]}, headers=tenant.headers
        )
    ).json()
    assert [r["status"] for r in body["results"]] == ["issued", "failed"]


async def test_oversize_batch_is_refused_and_writes_nothing(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    achievement = await published_achievement(client, tenant)
    items = [issue_payload(achievement["id"])] * 1001
    response = await client.post(
        "/v1/credentials/batch", json={"items": items}, headers=tenant.headers
    )
    assert response.status_code == 413
    assert response.json()["code"] == "batch_too_large"
    assert await _count(sessionmaker) == 0


async def test_full_batch_of_1000_is_issued(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    achievement = await published_achievement(client, tenant)
    items = [
        issue_payload(achievement["id"], learner={"name": "L", "student_number": f"s{i}"})
        for i in range(1000)
    ]
    response = await client.post(
        "/v1/credentials/batch", json={"items": items}, headers=tenant.headers
    )
    assert response.status_code == 200
    body = response.json()
    assert body["issued"] == 1000
    indexes = {r["credential"]["status"][0]["index"] for r in body["results"]}
    assert len(indexes) == 1000
    assert await _count(sessionmaker) == 1000


async def test_a_large_batch_is_built_written_and_summarised_a_chunk_at_a_time(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A chunk's documents are summarised before the next chunk is built, so a batch holds one
    chunk's documents at a time; keyed and unkeyed chunks (two ways of inserting) and a bad
    item keep their results, in order."""
    achievement = await published_achievement(client, tenant)
    events: list[tuple[str, int]] = []
    batch_result = router._batch_result

    def built(item: Accepted, *args: Any) -> dict[str, Any]:
        events.append(("built", item.position))
        return issuance.build_row(item, *args)

    def summarised(outcome: Outcome) -> Any:
        events.append(("summarised", outcome.position))
        return batch_result(outcome)

    monkeypatch.setattr(service, "build_row", built)
    monkeypatch.setattr(router, "_batch_result", summarised)
    size = 2 * ROWS_PER_STATEMENT + 51
    items: list[dict[str, Any]] = [
        issue_payload(achievement["id"], learner={"name": "L", "student_number": f"s{i}"})
        for i in range(size)
    ]
    for i in range(ROWS_PER_STATEMENT, 2 * ROWS_PER_STATEMENT):  # the second chunk is keyed
        items[i]["idempotency_key"] = f"result-{i}"
    items[5] = issue_payload(achievement["id"], awarded_on="2999-01-01")  # fails alone
    response = await client.post(
        "/v1/credentials/batch", json={"items": items}, headers=tenant.headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["issued"], body["failed"]) == (size - 1, 1)
    assert [r["index"] for r in body["results"]] == list(range(size))
    assert body["results"][5]["status"] == "failed"
    chunks = [list(range(0, 5)) + list(range(6, 101))]
    chunks += [list(range(101, 201)), list(range(201, size))]
    expected: list[tuple[str, int]] = []
    for chunk in chunks:
        expected += [("built", p) for p in chunk] + [("summarised", p) for p in chunk]
    assert events == [*expected, ("summarised", 5)]
    issued = [r for r in body["results"] if r["status"] == "issued"]
    assert len({r["credential"]["status"][0]["index"] for r in issued}) == size - 1
    assert await _count(sessionmaker) == size - 1
