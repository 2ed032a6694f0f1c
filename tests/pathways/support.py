"""Building pathways over REST and running the worker's pathway loop, for the tests."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import get_settings
from app.credentials.models import Credential
from app.worker.runner import Worker
from tests.credentials.helpers import published_achievement
from tests.factories import Tenant, achievement_payload


async def components(
    client: httpx.AsyncClient, tenant: Tenant, count: int, ects: float = 5
) -> list[str]:
    """``count`` published 5-ECTS micro-credentials of the tenant."""
    made = []
    for n in range(count):
        body = await published_achievement(
            client, tenant, title=f"Module {n + 1}", ects=ects, sis_course_codes=[]
        )
        made.append(str(body["id"]))
    return made


def stacked_payload(pathway: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "kind": "stacked",
        "title": "Certificate Data & Society",
        "ects": 15,
        "pathway": pathway,
        "sis_course_codes": [],
    }
    return achievement_payload(**{**values, **overrides})


async def stacked(
    client: httpx.AsyncClient, tenant: Tenant, pathway: dict[str, Any], **overrides: Any
) -> str:
    created = await client.post(
        "/v1/achievements", json=stacked_payload(pathway, **overrides), headers=tenant.headers
    )
    assert created.status_code == 201, created.text
    published = await client.post(
        f"/v1/achievements/{created.json()['id']}/publish", headers=tenant.headers
    )
    assert published.status_code == 200, published.text
    return str(created.json()["id"])


async def run_pathways(sessionmaker: async_sessionmaker[AsyncSession], loops: int = 1) -> int:
    """Run ``loops`` workers' pathway rounds side by side until no event is due."""
    workers = [Worker(get_settings(), sessionmaker) for _ in range(loops)]
    handled = 0

    async def drain(worker: Worker) -> None:
        nonlocal handled
        while n := await worker.pathway_round():
            handled += n

    await asyncio.gather(*(drain(w) for w in workers))
    return handled


async def credentials_of(
    sessionmaker: async_sessionmaker[AsyncSession], achievement_id: str
) -> list[Credential]:
    async with sessionmaker() as session:
        rows = await session.execute(
            select(Credential)
            .where(Credential.achievement_id == uuid.UUID(achievement_id))
            .order_by(Credential.issued_at)
        )
        return list(rows.scalars())
