"""The worker gives every accepted result exactly one outcome, and issues at most once."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import get_settings
from app.worker.runner import Worker
from tests.factories import Tenant
from tests.sis.simulator import COURSE, TERM, connect_sis, course_result, drain, scalar


async def _credentials(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    return int(await scalar(sessionmaker, "SELECT count(*) FROM credentials"))


async def test_a_passed_result_is_issued_as_a_credential_of_the_mapped_achievement(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    sis = await connect_sis(client, tenant)
    accepted = (await sis.record(course_result(grade="8,0"))).json()
    await drain(sessionmaker)
    (result,) = await sis.results()
    assert result["status"] == "issued"
    assert result["event_id"] == accepted["event_id"]
    credential = await client.get(
        f"/v1/credentials/{result['credential_id']}", headers=tenant.headers
    )
    assert credential.status_code == 200
    body = credential.json()
    assert body["achievement_id"] == sis.achievement_id
    subject = body["credential"]["credentialSubject"]
    assert subject["result"][0]["value"] == "8,0"
    audit = await client.get("/v1/audit-events", headers=tenant.headers)
    actors = {e["actor"] for e in audit.json()["items"] if e["action"] == "credential.issued"}
    assert actors == {f"sis_integration:{sis.integration_id}"}


async def test_grades_that_do_not_pass_are_skipped(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    sis = await connect_sis(client, tenant)
    grades = ["5.4", "O", "NVD", "5,5", "V", "pass", "10"]
    await sis.batch([course_result(grade=g) for g in grades])
    await drain(sessionmaker)
    outcomes = {r["position"]: (r["status"], r["reason_code"]) for r in await sis.results()}
    assert [outcomes[i] for i in range(len(grades))] == [
        ("skipped", "not_passed"),
        ("skipped", "not_passed"),
        ("skipped", "not_passed"),
        ("issued", None),
        ("issued", None),
        ("issued", None),
        ("issued", None),
    ]
    assert await _credentials(sessionmaker) == 4


async def test_an_unknown_course_fails_and_is_issued_after_mapping_and_replay(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    sis = await connect_sis(client, tenant)
    await sis.batch([course_result(course_code="BIO-101"), course_result()])
    await drain(sessionmaker)
    (failed,) = await sis.results(status="failed")
    assert failed["reason_code"] == "unknown_course_code"
    assert "BIO-101" in failed["reason"]

    nothing = await client.post(
        "/v1/sis/results/replay", json={"statuses": ["dead"]}, headers=tenant.headers
    )
    assert nothing.json() == {"requeued": 0}
    await sis.map_course("BIO-101")
    replay = await client.post(
        "/v1/sis/results/replay",
        json={"integration_id": sis.integration_id},
        headers=tenant.headers,
    )
    assert replay.status_code == 200
    assert replay.json() == {"requeued": 1}
    await drain(sessionmaker)
    assert Counter(r["status"] for r in await sis.results()) == {"issued": 2}


async def test_a_term_specific_mapping_wins_over_the_general_one(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    from tests.credentials.helpers import published_achievement

    sis = await connect_sis(client, tenant)
    special = await published_achievement(client, tenant)
    response = await client.post(
        f"/v1/integrations/{sis.integration_id}/course-mappings",
        json={
            "course_code": COURSE,
            "term": "2024-2025-S1",
            "achievement_id": special["id"],
            "pass_rule": {"threshold": 7},
        },
        headers=tenant.headers,
    )
    assert response.status_code == 201, response.text
    await sis.batch([course_result(term="2024-2025-S1", grade="6.5"), course_result(grade="6.5")])
    await drain(sessionmaker)
    outcomes = {r["term"]: r["status"] for r in await sis.results()}
    assert outcomes == {"2024-2025-S1": "skipped", TERM: "issued"}


async def test_the_same_result_sent_again_is_skipped_as_already_issued(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    sis = await connect_sis(client, tenant)
    result = course_result()
    await sis.record(result)
    await drain(sessionmaker)
    # A new message id (the SIS re-exported), a second copy in a batch, and a higher grade.
    await sis.record(result)
    await sis.batch([result, {**result, "grade": "9"}])
    await drain(sessionmaker)
    results = await sis.results()
    assert Counter(r["status"] for r in results) == {"issued": 1, "skipped": 3}
    issued = next(r for r in results if r["status"] == "issued")
    for skipped in (r for r in results if r["status"] == "skipped"):
        assert skipped["reason_code"] == "already_issued"
        assert skipped["credential_id"] == issued["credential_id"]
    assert await _credentials(sessionmaker) == 1


async def test_a_withdrawn_result_revokes_its_credential(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    sis = await connect_sis(client, tenant)
    result = course_result()
    withdrawal = {
        "student": {"id": result["student"]["id"]},
        "course_code": COURSE,
        "term": TERM,
        "reason": "exam fraud established by the board of examiners",
    }
    # Sent right behind the result, before any worker ran: it waits for the issuance.
    await sis.record(result)
    assert (await sis.send("course_result.withdrawn", withdrawal)).status_code == 202
    await drain(sessionmaker)
    await asyncio.sleep(1.1)  # the withdrawal was deferred until the issuance committed
    await drain(sessionmaker)
    outcomes = {r["kind"]: r for r in await sis.results()}
    assert outcomes["recorded"]["status"] == "issued"
    revoked = outcomes["withdrawn"]
    assert revoked["status"] == "revoked"
    assert revoked["reason_code"] == "result_withdrawn"
    assert revoked["credential_id"] == outcomes["recorded"]["credential_id"]
    credential = await client.get(
        f"/v1/credentials/{revoked['credential_id']}", headers=tenant.headers
    )
    assert credential.json()["state"] == "revoked"
    assert credential.json()["status_reason_code"] == "result_withdrawn"

    # Withdrawing again, or withdrawing what was never issued, changes nothing.
    await sis.send("course_result.withdrawn", withdrawal)
    await sis.send("course_result.withdrawn", {**withdrawal, "student": {"id": "s9999999"}})
    await drain(sessionmaker)
    reasons = Counter(r["reason_code"] for r in await sis.results(status="skipped"))
    assert reasons == {"already_revoked": 1, "no_credential": 1}


async def test_a_grade_corrected_below_the_threshold_revokes_and_upwards_issues(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    sis = await connect_sis(client, tenant)
    passed, failed = course_result(), course_result(grade="4")
    await sis.batch([passed, failed])
    await drain(sessionmaker)
    await sis.send("course_result.corrected", {**passed, "grade": "5.0"})
    await sis.send("course_result.corrected", {**failed, "grade": "6.0"})
    await drain(sessionmaker)
    corrections = {r["result_id"]: r for r in await sis.results() if r["kind"] == "corrected"}
    assert corrections[passed["result_id"]]["status"] == "revoked"
    assert corrections[passed["result_id"]]["reason_code"] == "result_corrected"
    assert corrections[failed["result_id"]]["status"] == "issued"


async def test_a_batch_of_5000_results_each_get_exactly_one_outcome(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    sis = await connect_sis(client, tenant)
    results = [course_result() for _ in range(4990)]
    results += [course_result(grade="3")] * 5 + [course_result(course_code="X")] * 5
    response = await sis.batch(results)
    assert response.status_code == 202
    await drain(sessionmaker)
    event = await sis.event(response.json()["event_id"])
    assert event["counts"] == {
        "pending": 0,
        "issued": 4990,
        "revoked": 0,
        "skipped": 5,
        "failed": 5,
        "dead": 0,
    }
    assert await _credentials(sessionmaker) == 4990
    queue = await client.get("/v1/sis/queue", headers=tenant.headers)
    assert queue.json()["pending"] == 0
    assert queue.json()["outcomes"]["issued"] == 4990


async def test_concurrent_workers_never_issue_twice(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    sis = await connect_sis(client, tenant)
    results = [course_result() for _ in range(600)]
    # Every result also arrives a second time in another event, as from a retrying SIS.
    await sis.batch(results)
    await sis.batch(list(reversed(results)))
    settings = get_settings().model_copy(update={"worker_batch_size": 50})
    workers = [Worker(settings, sessionmaker) for _ in range(4)]

    async def run(worker: Worker) -> None:
        while await worker.sis_round():
            pass

    await asyncio.gather(*(run(w) for w in workers))
    for worker in workers:
        await worker.sender.aclose()
    assert await _credentials(sessionmaker) == 600
    statuses = Counter(r["status"] for r in await sis.results())
    assert statuses == {"issued": 600, "skipped": 600}
    assert sum(sum(w.processed.values()) for w in workers) == 1200


async def test_final_outcomes_drop_the_students_identifiers_failed_ones_keep_them(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    sis = await connect_sis(client, tenant)
    await sis.batch([course_result(), course_result(course_code="UNMAPPED")])
    await drain(sessionmaker)
    kept = await scalar(
        sessionmaker,
        "SELECT count(*) FROM sis_results WHERE payload ? 'student' AND status = 'failed'",
    )
    dropped = await scalar(
        sessionmaker,
        "SELECT count(*) FROM sis_results WHERE NOT payload ? 'student' AND status = 'issued'",
    )
    assert (kept, dropped) == (1, 1)


async def test_a_result_id_beyond_bigint_is_a_422_not_a_500(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    for result_id in (2**63, -(2**64), 0):
        replay = await client.post(
            "/v1/sis/results/replay", json={"result_ids": [1, result_id]}, headers=tenant.headers
        )
        assert replay.status_code == 422, replay.text
        assert replay.json()["errors"][0]["pointer"] == "#/result_ids/1"


async def test_a_name_sent_in_parts_reaches_the_credential_for_the_learning_credential(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    sis = await connect_sis(client, tenant)
    sent = course_result()
    sent["student"] = {"id": "s7654321", "name": "Noor Bakker"}
    sent["student"] |= {"family_name": "Bakker", "given_name": "Noor"}
    await sis.record(sent)
    await drain(sessionmaker)
    (result,) = await sis.results()
    body = (
        await client.get(f"/v1/credentials/{result['credential_id']}", headers=tenant.headers)
    ).json()
    names = {
        i["identityType"]: i["identityHash"]
        for i in body["credential"]["credentialSubject"]["identifier"]
        if not i["hashed"]
    }
    assert names == {"name": "Noor Bakker", "ext:familyName": "Bakker", "ext:givenName": "Noor"}
