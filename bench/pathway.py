"""m. A learning pathway through the SIS intake: course results in, stacked credentials out.

One institution gets three published modules, each mapped to a course of an SIS integration,
and a published stacked achievement whose rule is "all of" the three, issued by the worker
without staff. The harness then sends a passed result of every module for each learner, one
``course_results.batch`` event per 1,000 results (course by course, as an SIS exports them), and
times from the first event sent until exactly one stacked credential per learner exists.

The clock reads the worker's ``stapel_pathway_outcomes_total{outcome="issued"}`` on its
metrics port (cheap enough to poll ten times a second; listing the credentials would load the
server it measures); once it shows every learner, the stacked credentials are counted through
``GET /v1/credentials?achievement_id=`` and must be exactly one per learner. A worker without
a metrics port is polled through that listing, once a second.

This runs after every other scenario: once a pathway is published, every issuance also writes
a pathway event, which the other scenarios should not pay for.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass
from typing import Any

import httpx

from bench import dataset, sis
from bench.environment import HarnessError
from bench.results import ScenarioResult
from bench.seed import Tenant, expect_json

TITLE = "m. pathway through the SIS intake"
ENDPOINT = "POST /v1/sis/{id}/events → stapel worker → stacked credentials"
COMPONENTS = 3
POLL_INTERVAL = 0.1
LIST_POLL_INTERVAL = 1.0
PAGE_SIZE = 200  # the API's largest page
ISSUED = re.compile(r'^stapel_pathway_outcomes_total\{outcome="issued"\}\s+(\S+)$', re.MULTILINE)


@dataclass(frozen=True)
class Pathway:
    integration: sis.Integration
    course_codes: list[str]
    stacked_id: str


def not_available(learners: int) -> ScenarioResult:
    return ScenarioResult(
        key="pathway_intake",
        title=TITLE,
        endpoint=ENDPOINT,
        concurrency=None,
        status="not available",
        note=f"the server has no {sis.INTAKE_PATH} ({learners:,} learners planned)",
    )


async def _published(client: httpx.AsyncClient, tenant: Tenant, body: dict[str, Any]) -> str:
    created = await expect_json(
        await client.post("/v1/achievements", json=body, headers=tenant.headers), 201
    )
    achievement_id = str(created["id"])
    publish = f"/v1/achievements/{achievement_id}/publish"
    await expect_json(await client.post(publish, headers=tenant.headers), 200)
    return achievement_id


async def define(client: httpx.AsyncClient, tenant: Tenant, run_tag: str) -> Pathway:
    """The modules, their course mappings and the stacked achievement (not timed)."""
    integration = await sis.new_integration(client, tenant, f"bench pathway {run_tag}")
    components, course_codes = [], []
    for index in range(COMPONENTS):
        course_code = f"BENCH-PW-{run_tag}-{index + 1}"
        body = dataset.pathway_component(index, course_code)
        component_id = await _published(client, tenant, body)
        await sis.map_course(client, tenant, integration, course_code, component_id)
        components.append((component_id, body))
        course_codes.append(course_code)
    stacked_id = await _published(client, tenant, dataset.stacked_achievement(components))
    return Pathway(integration, course_codes, stacked_id)


def event_bodies(pathway: Pathway, learners: int, run_tag: str) -> list[bytes]:
    """A passed result of every module for every learner, course by course."""
    results = []
    for course_code in pathway.course_codes:
        for n in range(1, learners + 1):
            result = dataset.sis_result(n, course_code, passing=True)
            result["student"]["id"] = f"{run_tag}-pw-{result['student']['id']}"
            results.append(result)
    return sis.chunked_events(results)


async def issued_by_pathways(metrics_urls: list[str]) -> int:
    """Stacked credentials the workers have issued, by their metrics."""
    total = 0.0
    async with httpx.AsyncClient(timeout=30) as client:
        for url in metrics_urls:
            response = await client.get(url)
            response.raise_for_status()
            found = ISSUED.search(response.text)
            total += float(found[1]) if found else 0.0
    return round(total)


async def listed(client: httpx.AsyncClient, tenant: Tenant, achievement_id: str) -> int:
    """The credentials of ``achievement_id``, counted through the API page by page."""
    count, cursor = 0, None
    while True:
        params: dict[str, str | int] = {"achievement_id": achievement_id, "limit": PAGE_SIZE}
        if cursor:
            params["cursor"] = cursor
        page = await expect_json(
            await client.get("/v1/credentials", params=params, headers=tenant.headers), 200
        )
        count += len(page["items"])
        cursor = page.get("next_cursor")
        if not cursor:
            return count


async def wait_stacked(
    client: httpx.AsyncClient,
    tenant: Tenant,
    pathway: Pathway,
    metrics_urls: list[str],
    expected: int,
    limit: float,
) -> None:
    """Return once the workers' counter (or, without one, the listing) reaches ``expected``;
    ``limit`` seconds at most."""
    deadline = time.perf_counter() + limit
    while True:
        if metrics_urls:
            issued = await issued_by_pathways(metrics_urls)
        else:
            issued = await listed(client, tenant, pathway.stacked_id)
        if issued >= expected:
            return
        if time.perf_counter() > deadline:
            raise HarnessError(
                f"{issued:,} of {expected:,} stacked credentials after {limit:.0f} s"
            )
        await asyncio.sleep(POLL_INTERVAL if metrics_urls else LIST_POLL_INTERVAL)


async def run(
    base_url: str,
    tenant: Tenant,
    learners: int,
    run_tag: str,
    metrics_urls: list[str],
    limit: float,
) -> ScenarioResult:
    async with httpx.AsyncClient(base_url=base_url, timeout=120) as client:
        pathway = await define(client, tenant, run_tag)
        bodies = event_bodies(pathway, learners, run_tag)
        baseline = await issued_by_pathways(metrics_urls) if metrics_urls else 0
        began = time.perf_counter()
        sent = await sis.send_events(client, pathway.integration, bodies)
        accepted = time.perf_counter() - began
        await wait_stacked(client, tenant, pathway, metrics_urls, baseline + learners, limit)
        elapsed = time.perf_counter() - began
        counts = await sis.wait_settled(client, tenant, sent.event_ids, limit)
        stacked = await listed(client, tenant, pathway.stacked_id)
    counts["invalid"] = sent.invalid
    result = _result(learners, len(bodies), accepted, elapsed, counts, stacked)
    result.record_latencies(sent.latencies)
    return result


def _result(
    learners: int,
    events: int,
    accepted: float,
    elapsed: float,
    counts: dict[str, int],
    stacked: int,
) -> ScenarioResult:
    results = learners * COMPONENTS
    problems = []
    if stacked != learners:
        problems.append(f"{stacked:,} stacked credentials for {learners:,} learners")
    broken = counts.get("failed", 0) + counts.get("dead", 0) + counts.get("invalid", 0)
    if broken or counts.get("issued", 0) != results:
        problems.append(f"SIS results {counts} where {results:,} issued were due")
    note = (
        f"{learners:,} learners x {COMPONENTS} modules = {results:,} results in {events} signed "
        f"events, {stacked:,} stacked credentials; cred/s = stacked credentials/s; "
        "latencies: the POST of one event"
    )
    return ScenarioResult(
        key="pathway_intake",
        title=TITLE,
        endpoint=ENDPOINT,
        concurrency=1,
        status="errors" if problems else "ok",
        seconds=round(elapsed, 2),
        requests=events,
        requests_per_s=round(results / elapsed, 1),  # results per second, as in g
        credentials_per_s=round(stacked / elapsed, 1),
        errors=len(problems),
        note="; ".join([note, *problems]),
        detail={
            "learners": learners,
            "components": COMPONENTS,
            "results": results,
            "events": events,
            "stacked_credentials": stacked,
            "accepted_after_s": round(accepted, 2),
            "sis_counts": counts,
        },
    )
