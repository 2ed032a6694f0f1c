"""A simulated student information system: it connects, maps courses and sends signed events.

Signatures are made with the Standard Webhooks library the way an SIS vendor would, independent
of the service's own verification code.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from standardwebhooks.webhooks import Webhook

from app.config import get_settings
from app.worker.runner import Worker
from tests.credentials.helpers import published_achievement
from tests.factories import Tenant

ROOT = Path(__file__).resolve().parents[2]
COURSE = "INF-DLPM-01"
TERM = "2025-2026-S2"
_numbers = itertools.count(1)


def course_result(student: int | None = None, **overrides: Any) -> dict[str, Any]:
    number = next(_numbers) if student is None else student
    result: dict[str, Any] = {
        "result_id": f"R-{number}",
        "student": {
            "id": f"s{number:07d}",
            "name": f"Student {number}",
            "email": f"student{number}@student.voorbeeld.nl",
        },
        "course_code": COURSE,
        "term": TERM,
        "grade": "7.5",
        "assessment_date": "2026-06-24",
        "identity_verified": True,
    }
    result.update(overrides)
    return result


@dataclass
class Sis:
    client: httpx.AsyncClient
    tenant: Tenant
    integration_id: str
    secret: str
    achievement_id: str
    sent: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"/v1/sis/{self.integration_id}/events"

    def signed(
        self,
        body: bytes,
        *,
        message_id: str | None = None,
        secret: str | None = None,
        at: datetime | None = None,
    ) -> dict[str, str]:
        message_id = message_id or f"msg_{uuid.uuid4().hex}"
        moment = at or datetime.now(UTC)
        signature = Webhook(secret or self.secret).sign(message_id, moment, body.decode())
        return {
            "webhook-id": message_id,
            "webhook-timestamp": str(int(moment.timestamp())),
            "webhook-signature": signature,
            "content-type": "application/json",
        }

    async def send(
        self,
        event_type: str,
        data: dict[str, Any],
        *,
        message_id: str | None = None,
        secret: str | None = None,
        at: datetime | None = None,
    ) -> httpx.Response:
        body = orjson.dumps({"type": event_type, "timestamp": "2026-06-30T12:00:00Z", "data": data})
        headers = self.signed(body, message_id=message_id, secret=secret, at=at)
        response = await self.client.post(self.url, content=body, headers=headers)
        self.sent.append(headers["webhook-id"])
        return response

    async def record(self, result: dict[str, Any], **kwargs: Any) -> httpx.Response:
        return await self.send("course_result.recorded", result, **kwargs)

    async def batch(self, results: list[dict[str, Any]], **kwargs: Any) -> httpx.Response:
        return await self.send("course_results.batch", {"results": results}, **kwargs)

    async def map_course(
        self, course_code: str = COURSE, *, achievement_id: str | None = None, **rule: Any
    ) -> dict[str, Any]:
        response = await self.client.post(
            f"/v1/integrations/{self.integration_id}/course-mappings",
            json={
                "course_code": course_code,
                "achievement_id": achievement_id or self.achievement_id,
                "pass_rule": rule or {"threshold": "5.5", "pass_values": ["V", "G", "pass"]},
            },
            headers=self.tenant.headers,
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    async def results(self, **params: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor = None
        while True:
            query = {**params, "limit": 200, **({"cursor": cursor} if cursor else {})}
            response = await self.client.get(
                "/v1/sis/results", params=query, headers=self.tenant.headers
            )
            assert response.status_code == 200, response.text
            page = response.json()
            items.extend(page["items"])
            cursor = page["next_cursor"]
            if cursor is None:
                return items

    async def event(self, event_id: str) -> dict[str, Any]:
        response = await self.client.get(f"/v1/sis/events/{event_id}", headers=self.tenant.headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


async def connect_sis(client: httpx.AsyncClient, tenant: Tenant, *, mapped: bool = True) -> Sis:
    achievement = await published_achievement(client, tenant)
    created = await client.post("/v1/integrations", json={"name": "Osiris"}, headers=tenant.headers)
    assert created.status_code == 201, created.text
    body = created.json()
    sis = Sis(client, tenant, body["id"], body["secret"], achievement["id"])
    if mapped:
        await sis.map_course()
    return sis


async def drain(sessionmaker: async_sessionmaker[AsyncSession], **settings: Any) -> Worker:
    """Run worker rounds in this process until no result is due."""
    worker = Worker(get_settings().model_copy(update=settings), sessionmaker)
    while await worker.sis_round():
        pass
    await worker.sender.aclose()
    return worker


async def scalar(sessionmaker: async_sessionmaker[AsyncSession], sql: str, **params: Any) -> Any:
    async with sessionmaker() as session:
        return (await session.execute(text(sql), params)).scalar_one()


async def wait_for(
    sessionmaker: async_sessionmaker[AsyncSession],
    sql: str,
    done: int,
    within: float,
    **params: Any,
) -> int:
    """Poll the count ``sql`` gives until it reaches ``done``; fail after ``within`` seconds."""
    deadline = time.monotonic() + within
    value = 0
    while time.monotonic() < deadline:
        value = int(await scalar(sessionmaker, sql, **params))
        if value >= done:
            return value
        await asyncio.sleep(0.1)
    raise AssertionError(f"{sql!r} reached {value}, not {done}, in {within} s")


def worker_command(*options: str) -> list[str]:
    """`stapel worker`, as production starts it."""
    return [sys.executable, "-m", "app.cli", "worker", *options]


def worker_settings(database_url: str) -> dict[str, str]:
    """A test's worker: on the test database, in small batches, polling often."""
    return {
        "STAPEL_DATABASE_URL": database_url,
        "STAPEL_WORKER_BATCH_SIZE": "100",
        "STAPEL_WORKER_POLL_SECONDS": "0.5",
    }


def start_worker(database_url: str, *options: str) -> subprocess.Popen[bytes]:
    """`stapel worker` as a process of its own; the caller stops it."""
    env = {**os.environ, **worker_settings(database_url)}
    return subprocess.Popen(worker_command(*options), env=env, cwd=ROOT)  # noqa: S603
