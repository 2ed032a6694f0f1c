"""Asking for credentials in the tests: payloads, the outbox subscription, what was stored."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import get_settings
from app.keys.did import institution_did
from app.verification.fetching import SafeFetcher
from tests.factories import Tenant

REQUEST_EVENTS = ["request.created", "request.approved", "request.denied", "credential.issued"]
LEARNER = {
    "name": "Sanne de Vries",
    "student_number": "s1234567",
    "email": "Sanne.deVries@student.voorbeeld.nl",
}


def request_payload(achievement_id: str, **evidence: Any) -> dict[str, Any]:
    return {
        "achievement_id": achievement_id,
        "learner": LEARNER,
        "evidence": evidence or {"text": "Built the department's data dashboard."},
    }


async def ask(
    client: httpx.AsyncClient, tenant: Tenant, achievement_id: str, **evidence: Any
) -> httpx.Response:
    return await client.post(
        "/v1/credential-requests",
        json=request_payload(achievement_id, **evidence),
        headers=tenant.headers,
    )


async def asked(
    client: httpx.AsyncClient, tenant: Tenant, achievement_id: str, **evidence: Any
) -> dict[str, Any]:
    response = await ask(client, tenant, achievement_id, **evidence)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def recognise(client: httpx.AsyncClient, tenant: Tenant, did: str) -> None:
    response = await client.post(
        "/v1/recognitions", json={"issuer_did": did}, headers=tenant.headers
    )
    assert response.status_code == 201, response.text


async def recognise_tenant(client: httpx.AsyncClient, tenant: Tenant, other: Tenant) -> None:
    await recognise(client, tenant, institution_did(other.slug))


@pytest.fixture
async def outbox(app: FastAPI, client: httpx.AsyncClient, tenant: Tenant) -> None:
    """A subscription to the request events, so the outbox holds them (never delivered here:
    the address is private, allowed only while subscribing)."""
    permissive = SafeFetcher.from_settings(
        get_settings().model_copy(update={"fetch_allow_private_addresses": True})
    )
    original = app.state.fetcher
    app.state.fetcher = permissive
    try:
        response = await client.post(
            "/v1/webhook-endpoints",
            json={"url": "https://127.0.0.1/hook", "event_types": REQUEST_EVENTS},
            headers=tenant.headers,
        )
        assert response.status_code == 201, response.text
    finally:
        app.state.fetcher = original
        await permissive.aclose()


async def outbox_events(sessionmaker: async_sessionmaker[AsyncSession]) -> list[dict[str, Any]]:
    async with sessionmaker() as session:
        rows = await session.execute(
            text("SELECT payload FROM webhook_deliveries ORDER BY created_at, id")
        )
        return [row.payload for row in rows]


async def audit_actions(sessionmaker: async_sessionmaker[AsyncSession]) -> list[tuple[str, str]]:
    async with sessionmaker() as session:
        rows = await session.execute(text("SELECT action, actor FROM audit_events ORDER BY id"))
        return [(row.action, row.actor) for row in rows]


async def stored_counts(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    """Rows of what a request writes: none of them may grow on a refusal."""
    counts: dict[str, int] = {}
    async with sessionmaker() as session:
        for name, query in _COUNTS.items():
            counts[name] = (await session.execute(text(query))).scalar_one()
    return counts


_COUNTS = {
    "requests": "SELECT count(*) FROM credential_requests",
    "external": "SELECT count(*) FROM external_credentials",
    "pathway_events": "SELECT count(*) FROM pathway_events",
    "credentials": "SELECT count(*) FROM credentials",
    "audit": "SELECT count(*) FROM audit_events WHERE action LIKE 'request.%'",
}
