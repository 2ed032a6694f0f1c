"""Pathway events: written with the change, only while pathways exist, the learner sealed."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.pathways.models import PathwayEvent
from app.pathways.outbox import open_learner
from tests.credentials.helpers import issue
from tests.factories import Tenant
from tests.pathways.support import components, stacked


@pytest.fixture
def tenant(suspending_tenant: Tenant) -> Tenant:
    """Suspension is offered: a suspended component writes an event too."""
    return suspending_tenant


async def _events(sessionmaker: async_sessionmaker[AsyncSession]) -> list[PathwayEvent]:
    async with sessionmaker() as session:
        return list(await session.scalars(select(PathwayEvent).order_by(PathwayEvent.created_at)))


async def test_no_event_is_written_while_no_pathway_exists(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    (module,) = await components(client, tenant, 1)
    issued = await issue(client, tenant, module)
    revoked = await client.post(
        f"/v1/credentials/{issued['id']}/revoke",
        json={"reason_code": "fraud"},
        headers=tenant.headers,
    )
    assert revoked.status_code == 200, revoked.text
    assert await _events(sessionmaker) == []


async def test_issuance_and_status_changes_write_events_with_the_learner_sealed(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    modules = await components(client, tenant, 3)
    await stacked(client, tenant, {"rule": "all", "components": modules})
    issued = await issue(client, tenant, modules[0])
    suspended = await client.post(
        f"/v1/credentials/{issued['id']}/suspend",
        json={"reason_code": "under_investigation"},
        headers=tenant.headers,
    )
    assert suspended.status_code == 200, suspended.text

    first, second = await _events(sessionmaker)
    assert (first.action, second.action) == ("issued", "suspend")
    assert {str(first.credential_id), str(second.credential_id)} == {issued["id"]}
    assert first.learner_sealed is not None
    assert b"s1234567" not in first.learner_sealed
    assert open_learner(first.id, first.learner_sealed).student_number == "s1234567"
    assert second.learner_sealed is None
