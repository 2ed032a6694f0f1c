"""Group commit of ``POST /v1/credentials``: single issuances that arrive while one is in
flight share the next transaction, and each keeps the answer it would have had alone.

The first request is held by a row lock on its achievement (see ``support``).
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.credentials.helpers import issue_payload, published_achievement
from tests.factories import Tenant
from tests.group_commit.support import first_requests_held, queued_behind, transactions_by_size

Send = Callable[..., Awaitable[httpx.Response]]


def _post(client: httpx.AsyncClient, tenant: Tenant) -> Send:
    def send(payload: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
        return client.post(
            "/v1/credentials", json=payload, headers={**tenant.headers, **(headers or {})}
        )

    return send


def _held(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    achievement_id: str,
) -> AbstractAsyncContextManager[None]:
    """First issuances held inside their transactions by a row lock on the achievement."""
    first = issue_payload(achievement_id, learner={"name": "First", "student_number": "f"})
    return first_requests_held(
        app.state.single_issuance,
        sessionmaker,
        text("SELECT 1 FROM achievements WHERE id = CAST(:id AS uuid) FOR UPDATE").bindparams(
            id=achievement_id
        ),
        lambda: _post(client, tenant)(first),
    )


def _queued(app: FastAPI, requests: list[Awaitable[httpx.Response]]) -> Any:
    return queued_behind(app.state.single_issuance, requests)


async def _issued_together(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    count: int,
) -> list[httpx.Response]:
    """``count`` issuances queued behind one held in its transaction, so that they share the
    next; the i-th is learner s<i> and carries the request id request-<i>."""
    achievement = await published_achievement(client, tenant)
    send = _post(client, tenant)
    async with _held(app, client, tenant, sessionmaker, achievement["id"]):
        queued = await _queued(
            app,
            [
                send(
                    issue_payload(
                        achievement["id"], learner={"name": f"L{i}", "student_number": f"s{i}"}
                    ),
                    {"X-Request-ID": f"request-{i}"},
                )
                for i in range(count)
            ],
        )
    return list(await asyncio.gather(*queued))


async def test_requests_arriving_during_a_transaction_share_the_next_one(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    responses = await _issued_together(app, client, tenant, sessionmaker, 8)
    assert [r.status_code for r in responses] == [201] * 8
    assert len({r.json()["id"] for r in responses}) == 8
    assert len({r.json()["claim_url"] for r in responses}) == 8
    assert await transactions_by_size(sessionmaker) == [1, 1, 8]
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


async def test_each_credential_of_a_shared_transaction_is_stored_with_its_own_jwt(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    # The group's rows and their JWTs are sent to Postgres as two parameters, zipped by position.
    responses = await _issued_together(app, client, tenant, sessionmaker, 6)
    assert [r.status_code for r in responses] == [201] * 6
    assert await transactions_by_size(sessionmaker) == [1, 1, 6]
    async with sessionmaker() as session:
        stored = await session.execute(
            text("SELECT id::text, jwt, document ->> 'id' FROM credentials")
        )
        by_id = {str(row[0]): (str(row[1]), str(row[2])) for row in stored}
    for response in responses:
        answer = response.json()
        jwt, document_id = by_id[answer["id"]]
        assert (jwt, document_id) == (answer["jwt"], answer["credential_id"])
        payload = base64.urlsafe_b64decode(jwt.split(".")[1] + "==")
        assert json.loads(payload)["id"] == document_id


async def test_a_refused_request_in_a_shared_transaction_fails_alone(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    achievement = await published_achievement(client, tenant)
    send = _post(client, tenant)
    unknown = "00000000-0000-4000-8000-000000000000"
    async with _held(app, client, tenant, sessionmaker, achievement["id"]):
        queued = await _queued(
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
    assert await transactions_by_size(sessionmaker) == [1, 1, 2]


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
    async with _held(app, client, tenant, sessionmaker, achievement["id"]):
        queued = await _queued(
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
    assert await transactions_by_size(sessionmaker) == [1, 1, 2]


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
        async with _held(app, client, tenant, sessionmaker, achievement["id"]):
            queued = await _queued(
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
    assert await transactions_by_size(sessionmaker) == [1, 1, 1, 1]
    async with sessionmaker() as session:
        audited = await session.execute(
            text("SELECT count(*) FROM audit_events WHERE action = 'credential.issued'")
        )
    assert audited.scalar_one() == 4  # the two held first, then the two good ones


async def test_institutions_share_a_transaction_and_each_issues_only_its_own(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant: Tenant,
    other_tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    ours = await published_achievement(client, tenant)
    theirs = await published_achievement(client, other_tenant)
    send, send_other = _post(client, tenant), _post(client, other_tenant)
    async with _held(app, client, tenant, sessionmaker, ours["id"]):
        queued = await _queued(
            app,
            [
                send(issue_payload(ours["id"], learner={"name": "A", "student_number": "a"})),
                send_other(
                    issue_payload(theirs["id"], learner={"name": "B", "student_number": "b"})
                ),
                # Another institution's achievement is unknown to this client, in a shared
                # transaction as alone.
                send_other(issue_payload(ours["id"], learner={"name": "C", "student_number": "c"})),
                # Idempotency keys belong to an institution: the same key twice is two keys.
                send(
                    issue_payload(ours["id"], learner={"name": "D", "student_number": "d"}),
                    {"Idempotency-Key": "shared-key"},
                ),
                send_other(
                    issue_payload(theirs["id"], learner={"name": "E", "student_number": "e"}),
                    {"Idempotency-Key": "shared-key"},
                ),
            ],
        )
    ours_a, theirs_b, foreign, ours_d, theirs_e = await asyncio.gather(*queued)
    assert foreign.status_code == 422
    assert foreign.json()["errors"][0]["code"] == "unknown_achievement"
    assert [r.status_code for r in (ours_a, theirs_b, ours_d, theirs_e)] == [201] * 4
    assert await transactions_by_size(sessionmaker) == [1, 1, 4]
    for response, owner in ((ours_a, tenant), (ours_d, tenant), (theirs_b, other_tenant)):
        issuer = response.json()["credential"]["issuer"]["id"]
        assert issuer.endswith(owner.slug), (issuer, owner.slug)
    # Each credential's audit entry, claim link and event belong to its own institution.
    async with sessionmaker() as session:
        rows = await session.execute(
            text(
                "SELECT c.id::text, c.institution_id::text, a.institution_id::text, "
                "l.institution_id::text FROM credentials AS c "
                "JOIN audit_events AS a ON a.target_id = c.id::text "
                "AND a.action = 'credential.issued' "
                "JOIN claim_links AS l ON l.credential_id = c.id"
            )
        )
        owners = {row[0]: row[1:] for row in rows}
    for response, owner in ((ours_a, tenant), (theirs_b, other_tenant), (theirs_e, other_tenant)):
        assert owners[response.json()["id"]] == (owner.id, owner.id, owner.id)
