"""A request still running when the graceful stop runs out is answered 503, as a problem."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import httpx

from tests.databases import locked_table
from tests.serving import free_port, serve_command, served

UNCACHED = {"STAPEL_PROCESS_CACHE_SECONDS": "0"}


async def test_requests_cut_off_by_the_graceful_timeout_get_503_with_retry_after(
    database_url: str, tmp_path: Path
) -> None:
    port = free_port()
    command = serve_command(port, "--graceful-timeout", "1")
    env = {"STAPEL_DATABASE_URL": database_url, **UNCACHED}
    with served(command, port, tmp_path / "serve.log", env=env) as (process, base):
        async with (
            httpx.AsyncClient(base_url=base, timeout=30) as http,
            locked_table(database_url, "institutions"),
        ):
            # Waits for the lock: in flight until the graceful stop gives up on it.
            in_flight = asyncio.create_task(http.get("/issuers/nobody/did.json"))
            await asyncio.sleep(1)
            assert not in_flight.done()
            process.send_signal(signal.SIGTERM)
            response = await in_flight
        assert await asyncio.to_thread(process.wait, 30) == 0
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "1"
    assert response.headers["cache-control"] == "no-store"
    assert response.json()["code"] == "shutting_down"
