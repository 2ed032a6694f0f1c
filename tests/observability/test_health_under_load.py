"""/readyz tells a busy pool from a database that is down, and stays ready while busy."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx

from app.observability.health import READINESS_TIMEOUT_SECONDS
from tests.databases import locked_table
from tests.serving import free_port, serve_command, served

CONCURRENT_REQUESTS = 128


async def test_readyz_stays_ready_while_every_pooled_connection_is_held(
    database_url: str, tmp_path: Path
) -> None:
    port = free_port()
    env = {"STAPEL_DATABASE_URL": database_url, "STAPEL_PROCESS_CACHE_SECONDS": "0"}
    with served(serve_command(port), port, tmp_path / "serve.log", env=env) as (_, base):
        limits = httpx.Limits(max_connections=CONCURRENT_REQUESTS + 8)
        async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:
            async with locked_table(database_url, "institutions"):
                # Each holds a pooled connection, or waits for one, until the lock goes.
                held = [
                    asyncio.create_task(http.get("/issuers/nobody/did.json"))
                    for _ in range(CONCURRENT_REQUESTS)
                ]
                await asyncio.sleep(2)
                assert not any(task.done() for task in held)
                for _ in range(3):
                    started = time.monotonic()
                    ready = await http.get("/readyz")
                    assert time.monotonic() - started < READINESS_TIMEOUT_SECONDS
                    assert ready.status_code == 200, ready.text
                    assert ready.json()["pool"] == "saturated"
            answers = await asyncio.gather(*held)
            assert {answer.status_code for answer in answers} == {404}
            calm = await http.get("/readyz")
            assert calm.json()["pool"] == "ok"
