"""g. SIS intake: course results in through the signed webhook, credentials out by the worker.

Implemented against the planned API (integrations, course mappings, Standard Webhooks intake,
event progress); the scenario reports "not available" while the server's OpenAPI document has
no SIS intake path. Timing runs from the first event sent to the moment no result is pending.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from bench import dataset
from bench.environment import HarnessError
from bench.results import ScenarioResult
from bench.seed import Tenant, expect_json

INTAKE_PATH = "/v1/sis/{integration_id}/events"
RESULTS_PER_EVENT = 1_000
FAIL_EVERY = 10  # every tenth result is a fail (grade 4.0): skipped, no credential
POLL_INTERVAL = 0.1
# The plan had {"kind": "threshold", "threshold": 5.5}; the API as built takes no "kind".
PASS_RULE = {"threshold": "5.5"}
TITLE = "g. SIS intake"
ENDPOINT = "POST /v1/sis/{id}/events → stapel worker"


async def available(client: httpx.AsyncClient) -> bool:
    document = await expect_json(await client.get("/openapi.json"), 200)
    return INTAKE_PATH in document.get("paths", {})


def not_available(results: int) -> ScenarioResult:
    return ScenarioResult(
        key="sis_intake",
        title=TITLE,
        endpoint=ENDPOINT,
        concurrency=None,
        status="not available",
        note=f"the server has no {INTAKE_PATH} yet ({results:,} results planned)",
    )


# --- Standard Webhooks signing ----------------------------------------------------------------


def signature_headers(secret: str, body: bytes, message_id: str, timestamp: int) -> dict[str, str]:
    """webhook-id, webhook-timestamp and webhook-signature ("v1,<base64 HMAC-SHA256>")."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": f"v1,{digest}",
        "Content-Type": "application/json",
    }


# --- the scenario -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Integration:
    id: str
    secret: str
    course_code: str


async def create_integration(
    client: httpx.AsyncClient, tenant: Tenant, run_tag: str
) -> Integration:
    integration = await new_integration(client, tenant, f"bench SIS {run_tag}")
    course_code = f"BENCH-SIS-{run_tag}"
    await map_course(client, tenant, integration, course_code, tenant.achievement_ids[0])
    return Integration(id=integration.id, secret=integration.secret, course_code=course_code)


async def new_integration(client: httpx.AsyncClient, tenant: Tenant, name: str) -> Integration:
    """An SIS integration of ``tenant`` (its course mappings follow)."""
    created = await expect_json(
        await client.post("/v1/integrations", json={"name": name}, headers=tenant.headers), 201
    )
    return Integration(id=str(created["id"]), secret=str(created["secret"]), course_code="")


async def map_course(
    client: httpx.AsyncClient,
    tenant: Tenant,
    integration: Integration,
    course_code: str,
    achievement_id: str,
) -> None:
    """Results of ``course_code`` that pass earn ``achievement_id``."""
    await expect_json(
        await client.post(
            f"/v1/integrations/{integration.id}/course-mappings",
            json={
                "course_code": course_code,
                "achievement_id": achievement_id,
                "pass_rule": PASS_RULE,
            },
            headers=tenant.headers,
        ),
        201,
        200,
    )


def event_bodies(integration: Integration, results: int, run_tag: str) -> list[bytes]:
    items = [
        dataset.sis_result(n, integration.course_code, passing=n % FAIL_EVERY != 0)
        for n in range(1, results + 1)
    ]
    for item in items:
        item["student"]["id"] = f"{run_tag}-{item['student']['id']}"
    return chunked_events(items)


def chunked_events(results: list[dict[str, Any]]) -> list[bytes]:
    """``course_results.batch`` event bodies of RESULTS_PER_EVENT results each."""
    return [
        orjson.dumps(
            {
                "type": "course_results.batch",
                "data": {"results": results[start : start + RESULTS_PER_EVENT]},
            }
        )
        for start in range(0, len(results), RESULTS_PER_EVENT)
    ]


@dataclass
class Sent:
    """The events accepted: their ids, the results refused, how long each POST took."""

    event_ids: list[str] = field(default_factory=list)
    invalid: int = 0
    latencies: list[float] = field(default_factory=list)


async def send_events(
    client: httpx.AsyncClient, integration: Integration, bodies: list[bytes]
) -> Sent:
    """Post every event, one after another."""
    sent = Sent()
    for body in bodies:
        headers = signature_headers(
            integration.secret, body, f"msg_{uuid.uuid4().hex}", int(time.time())
        )
        began = time.perf_counter()
        response = await client.post(
            INTAKE_PATH.format(integration_id=integration.id), content=body, headers=headers
        )
        sent.latencies.append(time.perf_counter() - began)
        accepted = await expect_json(response, 202)
        sent.event_ids.append(str(accepted["event_id"]))
        sent.invalid += len(accepted.get("invalid") or [])
    return sent


async def progress(client: httpx.AsyncClient, tenant: Tenant, event_id: str) -> dict[str, int]:
    body = await expect_json(
        await client.get(f"/v1/sis/events/{event_id}", headers=tenant.headers), 200
    )
    return {k: int(v) for k, v in body["counts"].items()}


async def wait_settled(
    client: httpx.AsyncClient, tenant: Tenant, event_ids: list[str], limit: float
) -> dict[str, int]:
    """Poll every event until none of its results is pending; ``limit`` seconds at most."""
    deadline = time.perf_counter() + limit
    while True:
        counts = [await progress(client, tenant, event_id) for event_id in event_ids]
        total = {key: sum(c.get(key, 0) for c in counts) for key in counts[0]}
        if total.get("pending", 0) == 0:
            return total
        if time.perf_counter() > deadline:
            raise HarnessError(f"SIS results still pending after {limit:.0f} s: {total}")
        await asyncio.sleep(POLL_INTERVAL)


async def intake(
    base_url: str, tenant: Tenant, results: int, run_tag: str, limit: float
) -> ScenarioResult:
    """Integration and mapping first (not timed), then the events, then wait for the worker."""
    async with httpx.AsyncClient(base_url=base_url, timeout=120) as client:
        integration = await create_integration(client, tenant, run_tag)
        bodies = event_bodies(integration, results, run_tag)
        began = time.perf_counter()
        sent = await send_events(client, integration, bodies)
        accepted = time.perf_counter() - began
        counts = await wait_settled(client, tenant, sent.event_ids, limit)
        elapsed = time.perf_counter() - began
    counts["invalid"] = sent.invalid
    result = _result(results, len(bodies), accepted, elapsed, counts)
    result.record_latencies(sent.latencies)
    return result


def _result(
    results: int, events: int, accepted: float, elapsed: float, counts: dict[str, int]
) -> ScenarioResult:
    expected_skipped = results // FAIL_EVERY
    broken = counts.get("failed", 0) + counts.get("dead", 0) + counts.get("invalid", 0)
    detail: dict[str, Any] = {
        "results": results,
        "events": events,
        "accepted_after_s": round(accepted, 2),
        "counts": counts,
        "expected": {"issued": results - expected_skipped, "skipped": expected_skipped},
    }
    return ScenarioResult(
        key="sis_intake",
        title=TITLE,
        endpoint=ENDPOINT,
        concurrency=1,
        status="errors" if broken else "ok",
        seconds=round(elapsed, 2),
        requests=events,
        requests_per_s=round(results / elapsed, 1),  # results per second
        credentials_per_s=round(counts.get("issued", 0) / elapsed, 1),
        errors=broken,
        note=f"{results:,} results in {events} signed events; req/s column = results/s; "
        "latencies: the POST of one event",
        detail=detail,
    )
