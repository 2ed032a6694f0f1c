"""What the mail tests share: SMTP settings through the API, a worker, the raw outbox."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import get_settings
from app.worker.runner import Worker
from tests.factories import Tenant


def smtp_body(port: int, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "from_address": "credentials@voorbeeld.nl",
        "from_name": "Hogeschool Voorbeeld — Credentials",
    }
    body.update(overrides)
    return body


async def configure_smtp(
    client: httpx.AsyncClient, tenant: Tenant, port: int, **overrides: Any
) -> dict[str, Any]:
    response = await client.put(
        f"/v1/institutions/{tenant.id}/smtp",
        json=smtp_body(port, **overrides),
        headers=tenant.headers,
    )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def mail_worker(sessionmaker: async_sessionmaker[AsyncSession], **overrides: Any) -> Worker:
    settings = get_settings().model_copy(
        update={
            "smtp_allow_private_addresses": True,
            "mail_retry_base_seconds": 0,
            "mail_timeout_seconds": 5,
            **overrides,
        }
    )
    return Worker(settings, sessionmaker)


async def send_due_mail(worker: Worker, rounds: int = 1) -> None:
    try:
        for _ in range(rounds):
            await worker.mail_round()
    finally:
        await worker.sender.aclose()


async def outbox(sessionmaker: async_sessionmaker[AsyncSession]) -> list[dict[str, Any]]:
    """The raw rows, as the database holds them."""
    async with sessionmaker() as session:
        rows = await session.execute(text("SELECT * FROM mail_outbox ORDER BY created_at, id"))
        return [dict(row) for row in rows.mappings()]
