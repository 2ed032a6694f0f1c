"""A first, rough issuance figure: single and batch issuance against a running server.

Usage (the server must be running with the same STAPEL_* settings):
    python bench/first_figures.py --base-url http://127.0.0.1:8000 --setup

It creates a throw-away institution through the services, then drives the HTTP API with
httpx from this one process. Client and server share the machine, so treat the numbers as a
floor; the benchmark harness proper (with a dedicated load generator) supersedes this script.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from typing import Any

import httpx

from app.achievements import service as achievements
from app.achievements.schemas import AchievementCreate
from app.auth import service as auth
from app.auth.principal import Principal
from app.auth.scopes import INSTITUTION_SCOPES
from app.config import get_settings
from app.db.session import create_engine, create_sessionmaker
from app.institutions import service as institutions
from app.institutions.schemas import InstitutionCreate
from tests.factories import achievement_payload, institution_payload


async def setup() -> tuple[str, str]:
    engine = create_engine(get_settings())
    maker = create_sessionmaker(engine)
    async with maker() as session, session.begin():
        body = InstitutionCreate.model_validate(
            institution_payload(slug=f"bench-{uuid.uuid4().hex[:6]}")
        )
        institution = await institutions.create_institution(session, body, "bench")
        client, token = await auth.create_institution_client(
            session, institution.id, "bench", INSTITUTION_SCOPES, "bench"
        )
        principal = Principal(client.id, institution.id, frozenset(client.scopes))
        created = await achievements.create_achievement(
            session, principal, AchievementCreate.model_validate(achievement_payload())
        )
        await achievements.publish_achievement(session, principal, created.id)
    await engine.dispose()
    return token, str(created.id)


def item(achievement_id: str, n: int) -> dict[str, Any]:
    return {
        "achievement_id": achievement_id,
        "learner": {"name": "Bench Learner", "student_number": f"s{n}"},
        "awarded_on": "2026-07-01",
        "grade": "8",
    }


async def singles(base: str, token: str, achievement_id: str, total: int, concurrency: int) -> None:
    latencies: list[float] = []
    counter = iter(range(total))
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as client:

        async def worker() -> None:
            for n in counter:
                start = time.perf_counter()
                response = await client.post("/v1/credentials", json=item(achievement_id, n))
                latencies.append(time.perf_counter() - start)
                assert response.status_code == 201, response.text

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    latencies.sort()
    print(
        f"single: {total / elapsed:.0f}/s at concurrency {concurrency}; "
        f"p50 {statistics.median(latencies) * 1000:.1f} ms, "
        f"p99 {latencies[int(len(latencies) * 0.99)] * 1000:.1f} ms"
    )


async def batches(base: str, token: str, achievement_id: str, count: int) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=120) as client:
        began = time.perf_counter()
        for b in range(count):
            items = [item(achievement_id, b * 1000 + i) for i in range(1000)]
            response = await client.post("/v1/credentials/batch", json={"items": items})
            assert response.json()["issued"] == 1000, response.text[:500]
        elapsed = time.perf_counter() - began
    print(
        f"batch: {count * 1000 / elapsed:.0f} credentials/s ({count} batches of 1,000, sequential)"
    )


async def trivial(base: str, total: int, concurrency: int) -> None:
    counter = iter(range(total))
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:

        async def worker() -> None:
            for _ in counter:
                await client.get("/healthz")

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    print(f"trivial /healthz: {total / elapsed:.0f}/s at concurrency {concurrency}")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--singles", type=int, default=2000)
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    token, achievement_id = await setup()
    await trivial(args.base_url, args.singles, args.concurrency)
    await singles(args.base_url, token, achievement_id, args.singles, args.concurrency)
    await batches(args.base_url, token, achievement_id, args.batches)


if __name__ == "__main__":
    asyncio.run(main())
