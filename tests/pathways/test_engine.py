"""The worker's evaluation: stacked credentials issued, suspended, reinstated and revoked."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.audit.models import AuditEvent
from app.config import get_settings
from app.credentials.ob3_schema import schema_errors
from app.pathways.models import PathwayAward, PathwayEvent
from app.worker.runner import Worker
from tests.credentials.helpers import issue, issue_payload, published_achievement
from tests.factories import Tenant, achievement_payload, create_tenant
from tests.pathways.support import (
    components,
    credentials_of,
    run_pathways,
    stacked,
)


@pytest.fixture
def tenant(suspending_tenant: Tenant) -> Tenant:
    """Suspension is offered: components are suspended and reinstated here."""
    return suspending_tenant


async def _three_and_certificate(
    client: httpx.AsyncClient, tenant: Tenant, **pathway: Any
) -> tuple[list[str], str]:
    modules = await components(client, tenant, 3)
    certificate = await stacked(client, tenant, {"rule": "all", "components": modules, **pathway})
    return modules, certificate


async def test_the_last_component_issued_brings_the_stacked_credential(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    issued_before = REGISTRY.get_sample_value(
        "stapel_pathway_outcomes_total", {"outcome": "issued"}
    )
    modules, certificate = await _three_and_certificate(client, tenant)
    issued = [await issue(client, tenant, m) for m in modules[:2]]
    await run_pathways(sessionmaker)
    assert await credentials_of(sessionmaker, certificate) == []

    issued.append(await issue(client, tenant, modules[2]))
    await run_pathways(sessionmaker)

    (credential,) = await credentials_of(sessionmaker, certificate)
    subject = credential.document["credentialSubject"]
    assert subject["creditsEarned"] == 15
    evidence = credential.document["evidence"]
    assert [e["id"] for e in evidence] == [c["credential_id"] for c in issued]
    assert {e["name"] for e in evidence} == {"Component credential"}
    assert schema_errors(credential.document) == []
    verified = await client.post("/v1/verify", json={"verifiableCredential": credential.jwt})
    result = verified.json()
    assert result["verified"], [c for c in result["checks"] if c["outcome"] != "passed"]
    # Issued through the normal service: a status slot, an audit entry in the engine's name.
    assert credential.status_index is not None
    async with sessionmaker() as session:
        actors = await session.scalars(
            select(AuditEvent.actor).where(
                AuditEvent.action == "credential.issued",
                AuditEvent.target_id == str(credential.id),
            )
        )
        assert list(actors) == [f"pathway:{certificate}"]
        # One outcome per event, and no learner data kept past it.
        events = list(await session.scalars(select(PathwayEvent)))
    assert all(e.status == "done" and e.learner_sealed is None for e in events)
    assert any(e.outcomes == {certificate: "issued"} for e in events)
    issued_after = REGISTRY.get_sample_value("stapel_pathway_outcomes_total", {"outcome": "issued"})
    assert (issued_after or 0) - (issued_before or 0) == 1


async def test_another_learners_components_do_not_count(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    modules, certificate = await _three_and_certificate(client, tenant)
    await issue(client, tenant, modules[0])
    await issue(client, tenant, modules[1])
    other = {"name": "Daan Jansen", "student_number": "s7654321"}
    await issue(client, tenant, modules[2], learner=other)
    await run_pathways(sessionmaker)
    assert await credentials_of(sessionmaker, certificate) == []


async def test_components_issued_at_once_to_several_workers_give_one_stacked_credential(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    modules, certificate = await _three_and_certificate(client, tenant)
    responses = await asyncio.gather(
        *(
            client.post("/v1/credentials", json=issue_payload(m), headers=tenant.headers)
            for m in modules
        )
    )
    assert [r.status_code for r in responses] == [201, 201, 201]
    await run_pathways(sessionmaker, loops=3)
    assert len(await credentials_of(sessionmaker, certificate)) == 1

    # A component issued again (a second copy) changes nothing.
    await issue(client, tenant, modules[0])
    await run_pathways(sessionmaker, loops=2)
    assert len(await credentials_of(sessionmaker, certificate)) == 1


async def _status(
    client: httpx.AsyncClient, tenant: Tenant, credential_id: str, action: str, reason: str
) -> None:
    response = await client.post(
        f"/v1/credentials/{credential_id}/{action}",
        json={"reason_code": reason},
        headers=tenant.headers,
    )
    assert response.status_code == 200, response.text


async def test_a_suspended_component_suspends_the_stacked_credential_until_reinstated(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    modules, certificate = await _three_and_certificate(client, tenant)
    issued = [await issue(client, tenant, m) for m in modules]
    await run_pathways(sessionmaker)

    await _status(client, tenant, issued[1]["id"], "suspend", "under_investigation")
    await run_pathways(sessionmaker)
    (held,) = await credentials_of(sessionmaker, certificate)
    assert (held.state, held.status_reason_code) == ("suspended", "component_revoked")
    verified = await client.post("/v1/verify", json={"verifiableCredential": held.jwt})
    assert not verified.json()["verified"]

    await _status(client, tenant, issued[1]["id"], "reinstate", "investigation_closed")
    await run_pathways(sessionmaker)
    (held,) = await credentials_of(sessionmaker, certificate)
    assert (held.state, held.status_reason_code) == ("active", "component_reinstated")
    async with sessionmaker() as session:
        actions = await session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.target_id == str(held.id))
            .order_by(AuditEvent.id)
        )
        assert list(actions) == [
            "credential.issued",
            "credential.suspended",
            "credential.reinstated",
        ]


async def test_a_revoked_component_revokes_the_stacked_credential_when_so_set(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    modules, certificate = await _three_and_certificate(client, tenant, on_component_lost="revoke")
    issued = [await issue(client, tenant, m) for m in modules]
    await run_pathways(sessionmaker)
    await _status(client, tenant, issued[0]["id"], "revoke", "fraud")
    await run_pathways(sessionmaker)
    (held,) = await credentials_of(sessionmaker, certificate)
    assert (held.state, held.status_reason_code) == ("revoked", "component_revoked")

    # Earned again with a new copy of the component: a new stacked credential.
    await issue(client, tenant, modules[0])
    await run_pathways(sessionmaker)
    states = [c.state for c in await credentials_of(sessionmaker, certificate)]
    assert states == ["revoked", "active"]


async def test_a_minimum_of_ects_states_the_credits_that_met_it(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    small = await components(client, tenant, 2, ects=4)
    large = await components(client, tenant, 1, ects=8)
    certificate = await stacked(
        client,
        tenant,
        {"rule": "min_ects", "min_ects": 15, "components": small + large},
        ects=15,
    )
    for module in small + large:
        await issue(client, tenant, module)
    await run_pathways(sessionmaker)
    (held,) = await credentials_of(sessionmaker, certificate)
    assert held.document["credentialSubject"]["creditsEarned"] == 16
    assert len(held.document["evidence"]) == 3


async def test_a_lost_component_with_a_spare_leaves_the_stacked_credential_alone(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    modules = await components(client, tenant, 4)
    certificate = await stacked(
        client, tenant, {"rule": "n_of", "n": 3, "components": modules}, ects=15
    )
    issued = [await issue(client, tenant, m) for m in modules]
    await run_pathways(sessionmaker)
    (held,) = await credentials_of(sessionmaker, certificate)
    assert len(held.document["evidence"]) == 3

    await _status(client, tenant, issued[0]["id"], "revoke", "fraud")
    await run_pathways(sessionmaker)
    (held,) = await credentials_of(sessionmaker, certificate)
    assert held.state == "active"
    async with sessionmaker() as session:
        award = await session.scalar(select(PathwayAward))
    assert award is not None
    assert sorted(str(c) for c in award.component_ids) == sorted(c["id"] for c in issued[1:])

    # Now the spare is in use: losing another component suspends the stacked credential.
    await _status(client, tenant, issued[3]["id"], "revoke", "fraud")
    await run_pathways(sessionmaker)
    (held,) = await credentials_of(sessionmaker, certificate)
    assert held.state == "suspended"


async def test_a_running_worker_is_woken_by_the_last_component(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    modules, certificate = await _three_and_certificate(client, tenant)
    # Polling once in five minutes: only the notification sent at commit can bring it out.
    settings = get_settings().model_copy(update={"worker_poll_seconds": 300})
    worker = Worker(settings, sessionmaker)
    running = asyncio.create_task(worker.run())
    try:
        await asyncio.sleep(0.5)  # LISTEN in place, first rounds done
        for module in modules:
            await issue(client, tenant, module)
        for _ in range(100):
            if await credentials_of(sessionmaker, certificate):
                break
            await asyncio.sleep(0.05)
    finally:
        worker.stop()
        await running
    assert len(await credentials_of(sessionmaker, certificate)) == 1


async def test_a_match_counts_any_achievement_of_the_field_and_skill(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    # The factory's achievements teach a data-literacy ESCO skill in field 0311.
    skill = achievement_payload()["learning_outcomes"][0]["esco_skill"]
    matching = await components(client, tenant, 2, ects=8)
    other_field = await published_achievement(
        client, tenant, title="Elsewhere", ects=8, field_of_study="0613", sis_course_codes=[]
    )
    certificate = await stacked(
        client,
        tenant,
        {
            "rule": "min_ects",
            "min_ects": 15,
            "match": {"field_of_study": "03", "esco_skill": skill},
        },
    )
    await issue(client, tenant, matching[0])
    await issue(client, tenant, other_field["id"])
    await run_pathways(sessionmaker)
    assert await credentials_of(sessionmaker, certificate) == []

    await issue(client, tenant, matching[1])
    await run_pathways(sessionmaker)
    (held,) = await credentials_of(sessionmaker, certificate)
    assert held.document["credentialSubject"]["creditsEarned"] == 16


async def test_a_grade_below_the_minimum_does_not_count(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    modules, certificate = await _three_and_certificate(client, tenant, min_grade=6)
    await issue(client, tenant, modules[0], grade="5,8")
    await issue(client, tenant, modules[1])
    await issue(client, tenant, modules[2])
    await run_pathways(sessionmaker)
    assert await credentials_of(sessionmaker, certificate) == []

    await issue(client, tenant, modules[0], grade="6,0")
    await run_pathways(sessionmaker)
    assert len(await credentials_of(sessionmaker, certificate)) == 1


async def test_a_stacked_credential_can_be_suspended_where_others_cannot(
    client: httpx.AsyncClient, operator: str, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """Its institution does not offer suspension, yet a lost component must suspend it."""
    plain = await create_tenant(client, operator)
    modules, certificate = await _three_and_certificate(client, plain)
    issued = [await issue(client, plain, m) for m in modules]
    await run_pathways(sessionmaker)
    (held,) = await credentials_of(sessionmaker, certificate)
    purposes = [e["statusPurpose"] for e in held.document["credentialStatus"]]
    assert purposes == ["revocation", "suspension"]
    assert "statusPurpose" in issued[0]["credential"]["credentialStatus"]  # one entry, an object
    await _status(client, plain, issued[0]["id"], "revoke", "fraud")
    await run_pathways(sessionmaker)
    (held,) = await credentials_of(sessionmaker, certificate)
    assert (held.state, held.status_reason_code) == ("suspended", "component_revoked")
