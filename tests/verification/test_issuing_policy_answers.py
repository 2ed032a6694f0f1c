"""Whether our own credentials passed the issuing policy: asked together, kept apart."""

from __future__ import annotations

import asyncio
import uuid

import httpx
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import process_cache
from app.verification import local
from tests.credentials.helpers import issue, published_achievement
from tests.factories import Tenant
from tests.vcapi.test_issuing_policy import _subject
from tests.vcapi.test_vcapi import vc


async def _questions(
    sessionmaker: async_sessionmaker[AsyncSession], institution_id: str
) -> dict[tuple[uuid.UUID, str], bool]:
    """Each credential of the institution, and whether it was issued for a catalogue entry."""
    async with sessionmaker() as session:
        rows = await session.execute(
            text(
                "SELECT institution_id, document ->> 'id', achievement_id IS NOT NULL "
                "FROM credentials WHERE institution_id = :institution"
            ),
            {"institution": institution_id},
        )
        return {(row[0], row[1]): row[2] for row in rows}


async def test_concurrent_questions_are_asked_in_one_query_and_each_answered_as_its_own(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    achievement = await published_achievement(client, tenant)
    for _ in range(3):
        await issue(client, tenant, achievement["id"])
    outside = await client.post(
        "/credentials/issue",
        json={"credential": vc(credentialSubject=_subject(achievementType="Badge"))},
        headers=tenant.headers,
    )
    assert outside.status_code == 201, outside.text
    expected = await _questions(sessionmaker, tenant.institution["id"])
    assert sorted(expected.values()) == [False, True, True, True]
    nobody = (uuid.uuid4(), "urn:uuid:" + str(uuid.uuid4()))
    expected[nobody] = False
    process_cache.clear_all()
    engine = sessionmaker.kw["bind"].sync_engine
    queries: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if "achievement_id IS NOT NULL" in statement:
            queries.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        async with sessionmaker() as session:
            answers = await asyncio.gather(
                *(local._policy_answers.ask(session, question) for question in expected)
            )
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert dict(zip(expected, answers, strict=True)) == expected
    assert len(queries) == 1
    # Kept: asked again, the answers need no query.
    async with sessionmaker() as session:
        trust = local.Trust(session)
        for (institution_id, document_id), passed in expected.items():
            assert await trust._under_policy(institution_id, document_id) is passed
    assert len(queries) == 1


async def test_a_question_asked_while_its_query_is_cancelled_is_asked_again(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    achievement = await published_achievement(client, tenant)
    await issue(client, tenant, achievement["id"])
    (question, passed), *_ = (await _questions(sessionmaker, tenant.institution["id"])).items()
    process_cache.clear_all()
    async with sessionmaker() as first, sessionmaker() as second:
        leading = asyncio.create_task(local._policy_answers.ask(first, question))
        joining = asyncio.create_task(local._policy_answers.ask(second, question))
        await asyncio.sleep(0)  # the first gathers, the second joins it
        leading.cancel()  # before its query
        assert await joining is passed
        assert leading.cancelled()
