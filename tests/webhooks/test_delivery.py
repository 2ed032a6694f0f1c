"""Outgoing events: written with the change (outbox), signed, retried, logged, redeliverable."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from standardwebhooks.webhooks import Webhook

from app.config import get_settings
from app.verification.fetching import SafeFetcher
from app.worker.runner import Worker
from tests.credentials.helpers import issue, published_achievement
from tests.factories import Tenant
from tests.sis.simulator import connect_sis, course_result, drain
from tests.webhooks.receiver import Receiver, running


@pytest.fixture
def tenant(suspending_tenant: Tenant) -> Tenant:
    """Suspension is offered: suspending and reinstating are events too."""
    return suspending_tenant


EVERYTHING = [
    "credential.issued",
    "credential.revoked",
    "credential.suspended",
    "credential.reinstated",
    "sis.result_failed",
]


@pytest.fixture
async def private_targets_allowed(app: FastAPI) -> AsyncIterator[None]:
    """The receiver listens on 127.0.0.1, which production never posts to."""
    permissive = SafeFetcher.from_settings(
        get_settings().model_copy(update={"fetch_allow_private_addresses": True})
    )
    original = app.state.fetcher
    app.state.fetcher = permissive
    try:
        yield
    finally:
        app.state.fetcher = original
        await permissive.aclose()


def _worker(sessionmaker: async_sessionmaker[AsyncSession], **overrides: Any) -> Worker:
    settings = get_settings().model_copy(
        update={
            "fetch_allow_private_addresses": True,
            "webhook_retry_base_seconds": 0,
            **overrides,
        }
    )
    return Worker(settings, sessionmaker)


async def _deliver_all(worker: Worker, rounds: int = 10) -> None:
    for _ in range(rounds):
        await worker.delivery_round()


async def _subscribe(
    client: httpx.AsyncClient, tenant: Tenant, url: str, types: list[str] | None = None
) -> dict[str, Any]:
    response = await client.post(
        "/v1/webhook-endpoints",
        json={"url": url, "event_types": types or EVERYTHING},
        headers=tenant.headers,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_subscription_to_a_private_address_is_refused(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    for url in (
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://169.254.169.254/latest",
        "http://example.org/hook",
    ):
        response = await client.post(
            "/v1/webhook-endpoints",
            json={"url": url, "event_types": ["credential.issued"]},
            headers=tenant.headers,
        )
        assert response.status_code == 422, url
        assert response.json()["code"] == "address_not_allowed"


async def test_issuing_notifies_a_receiver_that_fails_at_first_with_signed_retries(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    private_targets_allowed: None,
) -> None:
    async with running(Receiver(fail_first=2)) as receiver:
        endpoint = await _subscribe(client, tenant, receiver.url)
        achievement = await published_achievement(client, tenant)
        credential = await issue(client, tenant, achievement["id"])
        worker = _worker(sessionmaker)
        await _deliver_all(worker)
        await worker.sender.aclose()

    assert len(receiver.received) == 3
    ids = {r.headers["webhook-id"] for r in receiver.received}
    assert len(ids) == 1  # one message, retried under the same id
    for delivery in receiver.received:
        payload = Webhook(endpoint["secret"]).verify(delivery.body, delivery.headers)
        assert payload["type"] == "credential.issued"
        assert payload["data"]["id"] == credential["id"]
        assert payload["data"]["claim_url"] == credential["claim_url"]  # for the SIS to mail
        assert "learner" not in orjson.dumps(payload).decode()
    async with sessionmaker() as session:
        stored = await session.execute(text("SELECT payload::text FROM webhook_deliveries"))
        # The outbox holds the claim link sealed under the KEK, never in clear.
        assert credential["claim_url"].rsplit("/", 1)[1] not in stored.scalar_one()
    listed = await client.get(
        f"/v1/webhook-endpoints/{endpoint['id']}/deliveries", headers=tenant.headers
    )
    (delivery_out,) = listed.json()["items"]
    assert delivery_out["status"] == "delivered"
    assert delivery_out["attempts"] == 3
    assert [a["status_code"] for a in delivery_out["attempt_log"]] == [500, 500, 204]


async def test_status_changes_and_sis_failures_are_events_too(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    private_targets_allowed: None,
) -> None:
    async with running(Receiver()) as receiver:
        await _subscribe(client, tenant, receiver.url)
        achievement = await published_achievement(client, tenant)
        credential = await issue(client, tenant, achievement["id"])
        for action, reason in (
            ("suspend", "under_investigation"),
            ("reinstate", "investigation_closed"),
            ("revoke", "fraud"),
        ):
            response = await client.post(
                f"/v1/credentials/{credential['id']}/{action}",
                json={"reason_code": reason},
                headers=tenant.headers,
            )
            assert response.status_code == 200, response.text
        sis = await connect_sis(client, tenant)
        await sis.record(course_result(course_code="NOPE", result_id="R-77"))
        await drain(sessionmaker)
        worker = _worker(sessionmaker)
        await _deliver_all(worker, rounds=3)
        await worker.sender.aclose()

    received = [orjson.loads(r.body) for r in receiver.received]
    assert sorted(r["type"] for r in received) == sorted(
        [
            "credential.issued",
            "credential.suspended",
            "credential.reinstated",
            "credential.revoked",
            "sis.result_failed",
        ]
    )
    failed = next(r for r in received if r["type"] == "sis.result_failed")
    assert failed["data"]["reason_code"] == "unknown_course_code"
    assert failed["data"]["result_id"] == "R-77"
    revoked = next(r for r in received if r["type"] == "credential.revoked")
    assert revoked["data"]["reason_code"] == "fraud"
    assert revoked["data"]["state"] == "revoked"


async def test_an_event_only_goes_where_it_is_subscribed(
    client: httpx.AsyncClient,
    tenant: Tenant,
    other_tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    private_targets_allowed: None,
) -> None:
    async with running(Receiver()) as receiver:
        await _subscribe(client, tenant, receiver.url, ["credential.revoked"])
        await _subscribe(client, other_tenant, receiver.url)
        achievement = await published_achievement(client, tenant)
        await issue(client, tenant, achievement["id"])
        worker = _worker(sessionmaker)
        await _deliver_all(worker, rounds=2)
        await worker.sender.aclose()
    assert receiver.received == []


async def test_a_rolled_back_change_sends_nothing(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    private_targets_allowed: None,
) -> None:
    await _subscribe(client, tenant, "http://127.0.0.1:9/hook")
    achievement = await published_achievement(client, tenant)
    bad = await client.post(
        "/v1/credentials",
        json={"achievement_id": achievement["id"], "learner": {"name": "x"}},
        headers=tenant.headers,
    )
    assert bad.status_code == 422
    async with sessionmaker() as session:
        count = (await session.execute(text("SELECT count(*) FROM webhook_deliveries"))).scalar()
    assert count == 0


async def test_a_failing_endpoint_gives_up_is_disabled_and_can_be_redelivered(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    private_targets_allowed: None,
) -> None:
    async with running(Receiver(fail_first=1000)) as receiver:
        endpoint = await _subscribe(client, tenant, receiver.url)
        achievement = await published_achievement(client, tenant)
        await issue(client, tenant, achievement["id"])
        worker = _worker(sessionmaker, webhook_max_attempts=3, webhook_disable_after_failures=3)
        await _deliver_all(worker, rounds=5)
        assert len(receiver.received) == 3
        shown = await client.get(f"/v1/webhook-endpoints/{endpoint['id']}", headers=tenant.headers)
        assert shown.json()["enabled"] is False
        assert "3 failed deliveries" in shown.json()["disabled_reason"]
        listed = await client.get(
            f"/v1/webhook-endpoints/{endpoint['id']}/deliveries",
            params={"status": "failed"},
            headers=tenant.headers,
        )
        (failed,) = listed.json()["items"]

        # Fixed on their side: enable the endpoint and send the delivery again by hand.
        receiver.fail_first = 0
        enabled = await client.patch(
            f"/v1/webhook-endpoints/{endpoint['id']}",
            json={"enabled": True},
            headers=tenant.headers,
        )
        assert enabled.json()["enabled"] is True
        redelivered = await client.post(
            f"/v1/webhook-deliveries/{failed['id']}/redeliver", headers=tenant.headers
        )
        assert redelivered.status_code == 200
        assert redelivered.json()["status"] == "pending"
        await _deliver_all(worker, rounds=2)
        await worker.sender.aclose()
    assert len(receiver.received) == 4
    assert receiver.received[-1].headers["webhook-id"] == failed["id"]


async def test_a_target_that_turned_private_is_not_posted_to(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    private_targets_allowed: None,
) -> None:
    async with running(Receiver()) as receiver:
        endpoint = await _subscribe(client, tenant, receiver.url)
        achievement = await published_achievement(client, tenant)
        await issue(client, tenant, achievement["id"])
        # The worker runs with production rules: 127.0.0.1 is refused at send time.
        worker = _worker(sessionmaker, fetch_allow_private_addresses=False)
        await _deliver_all(worker, rounds=1)
        await worker.sender.aclose()
    assert receiver.received == []
    listed = await client.get(
        f"/v1/webhook-endpoints/{endpoint['id']}/deliveries", headers=tenant.headers
    )
    (attempt,) = listed.json()["items"][0]["attempt_log"]
    assert attempt["status_code"] is None
    assert attempt["error"].startswith("refused")


async def test_a_credential_issued_through_the_vc_api_is_an_event_too(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    private_targets_allowed: None,
) -> None:
    from tests.vcapi.test_vcapi import _issue

    await _subscribe(client, tenant, "http://127.0.0.1:9/hook", ["credential.issued"])
    await _issue(client, tenant)
    async with sessionmaker() as session:
        payloads = (
            (await session.execute(text("SELECT payload FROM webhook_deliveries"))).scalars().all()
        )
    assert [p["type"] for p in payloads] == ["credential.issued"]
    assert payloads[0]["data"]["achievement_id"] is None
