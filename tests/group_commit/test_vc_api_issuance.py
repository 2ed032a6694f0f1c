"""Group commit of the VC-API's ``POST /credentials/issue``: requests that arrive while one is in
flight share the next transaction, each in a savepoint, and each keeps the answer it would have
had alone.

The first request is held by a lock on the claim links' table (see ``support``).
"""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.factories import Tenant
from tests.group_commit.support import (
    first_requests_held,
    issuances_by_transaction_time,
    queued_behind,
)
from tests.vcapi.test_vcapi import vc

TAKEN_ID = "https://credentials.voorbeeld.nl/alumni/1872"


def _issue(
    client: httpx.AsyncClient, tenant: Tenant, credential: dict[str, Any], request_id: str
) -> Any:
    return client.post(
        "/credentials/issue",
        json={"credential": credential},
        headers={**tenant.headers, "X-Request-ID": request_id},
    )


async def test_issues_queued_behind_one_in_flight_share_a_transaction_and_fail_alone(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    taken = await _issue(client, tenant, vc(id=TAKEN_ID), "earlier")
    assert taken.status_code == 201
    async with first_requests_held(
        app.state.document_issuance,
        sessionmaker,
        text("LOCK TABLE claim_links IN EXCLUSIVE MODE"),
        lambda: _issue(client, tenant, vc(), "first"),
    ):
        queued = await queued_behind(
            app.state.document_issuance,
            [
                _issue(client, tenant, vc(name="One"), "one"),
                _issue(client, tenant, vc(id=TAKEN_ID), "same-id"),
                _issue(client, tenant, vc(name="Two"), "two"),
            ],
        )
    one, same_id, two = [await request for request in queued]
    assert (one.status_code, two.status_code) == (201, 201)
    assert same_id.status_code == 409
    assert same_id.json()["code"] == "credential_id_taken"
    # The earlier one, the first two (one per transaction in flight), then the two that were
    # issued of the three queued.
    assert await issuances_by_transaction_time(sessionmaker) == [1, 1, 1, 2]
    async with sessionmaker() as session:
        audited = await session.execute(
            text("SELECT request_id FROM audit_events WHERE action = 'credential.issued'")
        )
        request_ids = sorted(str(row[0]) for row in audited)
    assert request_ids == ["earlier", "first", "first", "one", "two"]
