"""Request bodies bounded per kind of route, and in time, before anything behind reads them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from fastapi import FastAPI

from app.http.limits import BodyLimits
from tests.factories import Tenant, achievement_payload

MIB = 1_048_576
HUGE = 200 * MIB
CHUNK = 64 * 1024


class Counted:
    """An async body of ``total`` bytes made on demand; counts how much was taken from it."""

    def __init__(
        self, total: int, *, chunk: int = CHUNK, pause_after: int | None = None, pause: float = 0
    ) -> None:
        self.total = total
        self._chunk = chunk
        self.taken = 0
        self._pause_after = pause_after
        self._pause = pause

    async def __aiter__(self) -> AsyncIterator[bytes]:
        chunk = b"x" * self._chunk
        while self.taken < self.total:
            if self._pause_after is not None and self.taken >= self._pause_after:
                await asyncio.sleep(self._pause)
            piece = chunk[: self.total - self.taken]
            self.taken += len(piece)
            yield piece


@pytest.fixture
def body_limits(app: FastAPI) -> Iterator[None]:
    """Small limits and a short body deadline, for this test only."""
    kept = app.state.body_limits
    app.state.body_limits = BodyLimits(
        default=64 * 1024, upload=256 * 1024, batch=1 * MIB, sis=2 * MIB, body_timeout=0.5
    )
    yield
    app.state.body_limits = kept


def assert_problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code


async def test_a_declared_200_mb_body_is_refused_before_any_of_it_is_read(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    body = Counted(HUGE)
    response = await client.post(
        "/v1/achievements",
        content=body,
        headers={**tenant.headers, "Content-Length": str(HUGE), "Content-Type": "application/json"},
    )
    assert_problem(response, 413, "payload_too_large")
    assert response.headers["connection"] == "close"
    assert body.taken == 0


async def test_a_chunked_200_mb_body_is_refused_once_past_the_limit(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    body = Counted(HUGE)  # no Content-Length: httpx sends it chunked
    response = await client.post(
        "/v1/achievements",
        content=body,
        headers={**tenant.headers, "Content-Type": "application/json"},
    )
    assert_problem(response, 413, "payload_too_large")
    assert body.taken <= MIB + CHUNK  # the default limit and the chunk that passed it
    listed = await client.get("/v1/achievements", headers=tenant.headers)
    assert listed.json()["items"] == []  # nothing half-written


async def test_each_kind_of_route_has_its_own_limit(
    client: httpx.AsyncClient, tenant: Tenant, body_limits: None
) -> None:
    padded = achievement_payload(description="d" * 100_000)
    too_large_for_json = await client.post("/v1/achievements", json=padded, headers=tenant.headers)
    assert_problem(too_large_for_json, 413, "payload_too_large")
    # Read whole by the batch route (1 MiB here) and refused by its own validation instead.
    batch = {"items": [], "padding": "p" * 200_000}
    fits_a_batch = await client.post("/v1/credentials/batch", json=batch, headers=tenant.headers)
    assert fits_a_batch.status_code == 422, fits_a_batch.text
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 300_000
    image = await client.put(
        f"/v1/achievements/{'0' * 8}-0000-0000-0000-{'0' * 12}/image",
        content=png,
        headers={**tenant.headers, "Content-Type": "image/png"},
    )
    assert_problem(image, 413, "payload_too_large")  # above the upload limit (256 KiB here)


async def test_a_body_that_does_not_arrive_in_time_gets_408(
    client: httpx.AsyncClient, tenant: Tenant, body_limits: None
) -> None:
    body = Counted(32 * 1024, chunk=8 * 1024, pause_after=16 * 1024, pause=2)
    started = asyncio.get_running_loop().time()
    response = await client.post(
        "/v1/achievements",
        content=body,
        headers={**tenant.headers, "Content-Type": "application/json"},
    )
    assert_problem(response, 408, "request_timeout")
    assert asyncio.get_running_loop().time() - started < 1.5


async def test_a_body_within_the_limits_is_served_as_before(
    client: httpx.AsyncClient, tenant: Tenant, body_limits: None
) -> None:
    created = await client.post(
        "/v1/achievements",
        content=json.dumps(achievement_payload()),
        headers={**tenant.headers, "Content-Type": "application/json"},
    )
    assert created.status_code == 201, created.text
