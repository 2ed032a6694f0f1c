"""Group commit: single issuances that arrive while one is in flight share the next transaction,
and each keeps the answer it would have had alone.

The first request is held inside its transaction by a row lock on its achievement taken from
another connection; the requests sent meanwhile queue, and are seen to share one transaction by
the ``xmin`` (inserting transaction) of the rows they wrote.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.credentials.group_commit import GroupCommit
from tests.credentials.helpers import issue_payload, published_achievement
from tests.factories import Tenant

Send = Callable[..., Awaitable[httpx.Response]]


@asynccontextmanager
async def first_request_held(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    achievement_id: str,
) -> AsyncIterator[asyncio.Task[httpx.Response]]:
    """A request in flight, waiting on a lock inside its transaction until the block ends."""
    async with sessionmaker() as locker, locker.begin():
        await locker.execute(
            text("SELECT 1 FROM achievements WHERE id = :id FOR UPDATE"), {"id": achievement_id}
        )
        first = asyncio.create_task(
            client.post(
                "/v1/credentials",
                json=issue_payload(
                    achievement_id, learner={"name": "First", "student_number": "f"}
                ),
                headers=tenant.headers,
            )
        )
        await _until(lambda: _lock_waits(sessionmaker))
        yield first
    assert (await first).status_code == 201


async def queue_behind(
    app: FastAPI, requests: list[Awaitable[httpx.Response]]
) -> list[asyncio.Task[httpx.Response]]:
    """Send the requests and return once all of them wait for the next transaction."""
    group_commit: GroupCommit = app.state.group_commit
    tasks = [asyncio.ensure_future(request) for request in requests]
    await _until(lambda: _true(group_commit.queued() == len(tasks)))
    return tasks


async def transactions_by_size(sessionmaker: async_sessionmaker[AsyncSession]) -> list[int]:
    async with sessionmaker() as session:
        rows = await session.execute(
            text("SELECT count(*) FROM credentials GROUP BY xmin::text ORDER BY 1")
        )
        return [int(count) for (count,) in rows]


async def _lock_waits(sessionmaker: async_sessionmaker[AsyncSession]) -> bool:
    async with sessionmaker() as session:
        waiting = await session.execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted"))
        return int(waiting.scalar_one()) > 0


async def _true(value: bool) -> bool:
    return value


async def _until(condition: Callable[[], Awaitable[bool]]) -> None:
    for _ in range(500):
        if await condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the condition never held")


def _post(client: httpx.AsyncClient, tenant: Tenant) -> Send:
    def send(payload: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
        return client.post(
            "/v1/credentials", json=payload, headers={**tenant.headers, **(headers or {})}
        )

    return send


async def test_requests_arriving_during_a_transaction_share_the_next_one(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    achievement = await published_achievement(client, tenant)
    send = _post(client, tenant)
    async with first_request_held(app, client, tenant, sessionmaker, achievement["id"]):
        queued = await queue_behind(
            app,
            [
                send(
                    issue_payload(
                        achievement["id"], learner={"name": "L", "student_number": f"s{i}"}
                    ),
                    {"X-Request-ID": f"request-{i}"},
                )
                for i in range(8)
            ],
        )
    responses = await asyncio.gather(*queued)
    assert [r.status_code for r in responses] == [201] * 8
    assert len({r.json()["id"] for r in responses}) == 8
    assert len({r.json()["claim_url"] for r in responses}) == 8
    assert await transactions_by_size(sessionmaker) == [1, 8]
    # Each credential's audit entry names the request it came with, not the group's first.
    async with sessionmaker() as session:
        audited = await session.execute(
            text(
                "SELECT a.request_id, c.id::text FROM audit_events AS a "
                "JOIN credentials AS c ON c.id::text = a.target_id "
                "WHERE a.action = 'credential.issued'"
            )
        )
        audit_of = {str(row[0]): str(row[1]) for row in audited}
    for i, response in enumerate(responses):
        assert audit_of[f"request-{i}"] == response.json()["id"]


async def test_a_refused_request_in_a_shared_transaction_fails_alone(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    achievement = await published_achievement(client, tenant)
    send = _post(client, tenant)
    unknown = "00000000-0000-4000-8000-000000000000"
    async with first_request_held(app, client, tenant, sessionmaker, achievement["id"]):
        queued = await queue_behind(
            app,
            [
                send(
                    issue_payload(achievement["id"], learner={"name": "A", "student_number": "a"})
                ),
                send(issue_payload(unknown)),
                send(
                    issue_payload(achievement["id"], learner={"name": "B", "student_number": "b"})
                ),
            ],
        )
    good, refused, other = await asyncio.gather(*queued)
    assert (good.status_code, other.status_code) == (201, 201)
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["errors"][0]["code"] == "unknown_achievement"
    assert await transactions_by_size(sessionmaker) == [1, 2]


async def test_one_idempotency_key_twice_in_a_queue_is_replayed_or_refused_as_if_in_turn(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    achievement = await published_achievement(client, tenant)
    send = _post(client, tenant)
    key = {"Idempotency-Key": "result-88231"}
    same = issue_payload(achievement["id"])
    different = issue_payload(achievement["id"], grade="6.0")
    async with first_request_held(app, client, tenant, sessionmaker, achievement["id"]):
        queued = await queue_behind(
            app,
            [
                send(same, key),
                send(same, key),
                send(different, key),
                send(
                    issue_payload(achievement["id"], learner={"name": "C", "student_number": "c"})
                ),
            ],
        )
    first, replay, conflict, unrelated = await asyncio.gather(*queued)
    assert first.status_code == 201
    assert replay.status_code == 200
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json()["id"] == first.json()["id"]
    assert conflict.status_code == 409
    assert conflict.json()["code"] == "idempotency_key_reused"
    assert unrelated.status_code == 201
    # The first request, then the keyed one with the unrelated one: the repeats waited.
    assert await transactions_by_size(sessionmaker) == [1, 2]


async def test_a_database_error_inside_a_shared_transaction_reaches_only_its_request(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    achievement = await published_achievement(client, tenant)
    send = _post(client, tenant)
    async with sessionmaker() as session, session.begin():
        await session.execute(
            text(
                "CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "IF NEW.document::text LIKE '%poison-pill%' THEN RAISE EXCEPTION 'refused'; "
                "END IF; "
                "RETURN NEW; END $$"
            )
        )
        await session.execute(
            text(
                "CREATE TRIGGER refuse_poison BEFORE INSERT ON credentials "
                "FOR EACH ROW EXECUTE FUNCTION refuse_poison()"
            )
        )
    try:
        async with first_request_held(app, client, tenant, sessionmaker, achievement["id"]):
            queued = await queue_behind(
                app,
                [
                    send(
                        issue_payload(
                            achievement["id"], learner={"name": "A", "student_number": "a"}
                        )
                    ),
                    send(issue_payload(achievement["id"], sis_reference="poison-pill")),
                    send(
                        issue_payload(
                            achievement["id"], learner={"name": "B", "student_number": "b"}
                        )
                    ),
                ],
            )
        good, poisoned, other = await asyncio.gather(*queued)
    finally:
        async with sessionmaker() as session, session.begin():
            await session.execute(text("DROP TRIGGER refuse_poison ON credentials"))
            await session.execute(text("DROP FUNCTION refuse_poison()"))
    assert (good.status_code, other.status_code) == (201, 201)
    assert poisoned.status_code == 500
    assert poisoned.headers["content-type"] == "application/problem+json"
    # The shared transaction was rolled back whole; each request then had one of its own.
    assert await transactions_by_size(sessionmaker) == [1, 1, 1]
    async with sessionmaker() as session:
        audited = await session.execute(
            text("SELECT count(*) FROM audit_events WHERE action = 'credential.issued'")
        )
    assert audited.scalar_one() == 3
