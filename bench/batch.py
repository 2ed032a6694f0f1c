"""c. Batch issuance: clients that each send batches of 1,000 back to back, for the duration.

wrk is a poor fit for a request that takes a second and more, so this one is a small httpx
client in the harness process (pinned to the load core). Request bodies are built before each
request is timed.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import httpx

from bench.environment import HarnessError
from bench.results import ScenarioResult
from bench.seed import Tenant, batch_body, expect_json, today


@dataclass
class BatchTally:
    issued: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)


async def _client_loop(
    client: httpx.AsyncClient,
    tenant: Tenant,
    prefix: str,
    size: int,
    deadline: float,
    min_rounds: int,
    tally: BatchTally,
) -> None:
    day = today()
    rounds = 0
    while rounds < min_rounds or time.perf_counter() < deadline:
        body = batch_body(tenant, prefix, rounds * size, size, day)
        began = time.perf_counter()
        rounds += 1
        try:
            response = await client.post(
                "/v1/credentials/batch",
                content=body,
                headers={**tenant.headers, "Content-Type": "application/json"},
            )
            tally.latencies.append(time.perf_counter() - began)
            result = await expect_json(response, 200)
        except (httpx.HTTPError, HarnessError) as exc:  # counted; the run goes on
            tally.errors.append(str(exc)[:300])
            continue
        tally.issued += int(result["issued"])
        tally.failed += int(result["failed"])


async def batch_issuance(
    base_url: str,
    tenants: list[Tenant],
    clients: int,
    size: int,
    seconds: float,
    min_rounds: int,
    run_tag: str,
) -> ScenarioResult:
    tally = BatchTally()
    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=base_url, timeout=600, limits=limits) as client:
        began = time.perf_counter()
        deadline = began + seconds
        await asyncio.gather(
            *(
                _client_loop(
                    client,
                    tenants[i % len(tenants)],
                    f"{run_tag}-batch{clients}-{i}",
                    size,
                    deadline,
                    min_rounds,
                    tally,
                )
                for i in range(clients)
            )
        )
        elapsed = time.perf_counter() - began
    return _result(clients, size, elapsed, tally)


def _result(clients: int, size: int, elapsed: float, tally: BatchTally) -> ScenarioResult:
    latencies = tally.latencies
    errors = len(tally.errors) + tally.failed
    result = ScenarioResult(
        key=f"batch_{clients}_clients",
        title="c. batch issuance",
        endpoint=f"POST /v1/credentials/batch ({size:,} per request)",
        concurrency=clients,
        status="errors" if errors else "ok",
        seconds=round(elapsed, 2),
        requests=len(latencies),
        requests_per_s=round(len(latencies) / elapsed, 2),
        credentials_per_s=round(tally.issued / elapsed, 1),
        errors=errors,
        note=f"{len(latencies)} batches; each client issues for its own institution",
        detail={"issued": tally.issued, "failed_items": tally.failed, "errors": tally.errors[:5]},
    )
    result.record_latencies(latencies)
    return result
