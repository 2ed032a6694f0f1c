"""A credential from a second Stapel instance as evidence, and as a pathway component."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.credentials.helpers import issue, published_achievement
from tests.factories import Tenant
from tests.learner_requests.support import recognise, stored_counts
from tests.pathways.support import credentials_of, run_pathways, stacked
from tests.verification.other_instance import OTHER_LEARNER, OtherInstance, issue_at_other


async def _request(
    client: httpx.AsyncClient, tenant: Tenant, achievement_id: str, jwt: str
) -> httpx.Response:
    return await client.post(
        "/v1/credential-requests",
        json={
            "achievement_id": achievement_id,
            "learner": OTHER_LEARNER,
            "evidence": {"external_credential": jwt},
        },
        headers=tenant.headers,
    )


async def test_another_instances_credential_completes_a_stack_rule(
    client: httpx.AsyncClient,
    tenant: Tenant,
    other_instance: OtherInstance,
    reaches_other: None,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await recognise(client, tenant, other_instance.did)
    own = await published_achievement(client, tenant, title="Module here", sis_course_codes=[])
    # Ten ECTS in education science (ISCED-F 0311), from here or a recognised partner.
    certificate = await stacked(
        client,
        tenant,
        {"rule": "min_ects", "min_ects": 10, "match": {"field_of_study": "0311"}},
        ects=10,
    )
    await issue(client, tenant, own["id"], learner=OTHER_LEARNER)
    await run_pathways(sessionmaker)
    assert await credentials_of(sessionmaker, certificate) == []  # 5 of the 10 ECTS

    theirs = await issue_at_other(other_instance, title="Module elsewhere")
    asked = await _request(client, tenant, own["id"], theirs["jwt"])
    assert asked.status_code == 201, asked.text
    assert asked.json()["external_credential"]["issuer_did"] == other_instance.did
    await run_pathways(sessionmaker)

    (held,) = await credentials_of(sessionmaker, certificate)
    evidence = {e["id"]: e for e in held.document["evidence"]}
    assert theirs["credential_id"] in evidence
    assert evidence[theirs["credential_id"]]["description"].startswith(
        "https://other.test/achievements/"
    )
    assert held.document["credentialSubject"]["creditsEarned"] == 10


async def test_another_instances_credential_for_someone_else_or_unrecognised_is_refused(
    client: httpx.AsyncClient,
    tenant: Tenant,
    other_instance: OtherInstance,
    reaches_other: None,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    ours = await published_achievement(client, tenant)
    theirs = await issue_at_other(other_instance)
    before = await stored_counts(sessionmaker)
    unrecognised = await _request(client, tenant, ours["id"], theirs["jwt"])
    assert unrecognised.status_code == 422
    assert unrecognised.json()["code"] == "issuer_not_recognised"

    await recognise(client, tenant, other_instance.did)
    someone_else = await issue_at_other(
        other_instance, learner={"name": "Daan Jansen", "student_number": "e0000001"}
    )
    mismatch = await _request(client, tenant, ours["id"], someone_else["jwt"])
    assert mismatch.status_code == 422
    assert mismatch.json()["code"] == "identity_mismatch"
    assert await stored_counts(sessionmaker) == before
