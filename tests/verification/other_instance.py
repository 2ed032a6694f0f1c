"""A second Stapel instance (another host, another database, another process) for the tests that
verify its credentials here over HTTP.

The second instance is a real server on a loopback port; our verifier reaches it as
``https://other.test`` through a transport that forwards to that port, with ``other.test``
resolving to a public address, so the safe fetcher's address rules apply unchanged. The fixtures
``other_instance`` (one server per test module that uses it) and ``reaches_other`` are
registered for every test by ``tests/conftest.py``.
"""

from __future__ import annotations

import asyncio
import base64
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.config import get_settings
from app.db.migrate import upgrade_to_head
from app.verification.fetching import SafeFetcher
from tests.databases import recreate_database, url_with_database
from tests.factories import achievement_payload
from tests.serving import ROOT, free_port, served

OTHER_BASE = "https://other.test"


@dataclass(frozen=True)
class OtherInstance:
    port: int
    token: str
    did: str


def _run_cli(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(  # noqa: S603 - our own command line, fixed arguments
        [sys.executable, "-m", "app.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return result.stdout.strip()


@pytest.fixture(scope="module")
def other_instance(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OtherInstance]:
    name = f"stapel_other_{uuid.uuid4().hex[:8]}"
    url = url_with_database(database_url, name)
    asyncio.run(recreate_database(database_url, name))
    upgrade_to_head(url)
    env = {
        **os.environ,
        "STAPEL_DATABASE_URL": url,
        "STAPEL_PUBLIC_BASE_URL": OTHER_BASE,
        "STAPEL_KEY_ENCRYPTION_KEY": base64.b64encode(os.urandom(32)).decode(),
        "STAPEL_LEARNER_LOOKUP_KEY": base64.b64encode(os.urandom(32)).decode(),
        # The OB3 hashed form, which another instance can match a learner's number against
        # (tests/learner_requests); this instance's keyed forms only it can check.
        "STAPEL_CREDENTIAL_STUDENT_NUMBER": "hashed",
    }
    _run_cli(
        env,
        "institution",
        "create",
        "--slug",
        "elders",
        "--legal-name",
        "Stichting Hogeschool Elders",
        "--display-name",
        "Hogeschool Elders",
        "--country",
        "NL",
        "--recognised",
    )
    token = _run_cli(env, "api-key", "create", "--institution", "elders", "--name", "test")
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "app.main:create_app",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    try:
        with served(command, port, tmp_path_factory.mktemp("other") / "serve.log", env=env):
            yield OtherInstance(port, token, "did:web:other.test:issuers:elders")
    finally:
        asyncio.run(recreate_database(database_url, name, drop_only=True))


class ForwardToLoopback(httpx.AsyncBaseTransport):
    """Send requests for https://other.test to the second instance's loopback port."""

    def __init__(self, port: int) -> None:
        self._port = port
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert request.url.host == "other.test", request.url
        request.url = request.url.copy_with(scheme="http", host="127.0.0.1", port=self._port)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


async def _public_address(host: str, port: int) -> list[str]:
    del port
    return ["93.184.216.34"] if host == "other.test" else []


@pytest.fixture
async def reaches_other(app: FastAPI, other_instance: OtherInstance) -> Any:
    original = app.state.fetcher
    settings = get_settings()
    app.state.fetcher = SafeFetcher(
        allow_private=False,
        timeout=5,
        max_bytes=1_048_576,
        max_redirects=3,
        max_cache_seconds=0,
        transport=ForwardToLoopback(other_instance.port),
        resolve_host=_public_address,
    )
    assert not settings.fetch_allow_private_addresses
    yield
    await app.state.fetcher.aclose()
    app.state.fetcher = original


OTHER_LEARNER = {"name": "Daan Jansen", "student_number": "e7654321"}


async def issue_at_other(
    other: OtherInstance, learner: dict[str, str] | None = None, **achievement: Any
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {other.token}"}
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{other.port}", headers=headers, timeout=30
    ) as remote:
        made = await remote.post("/v1/achievements", json=achievement_payload(**achievement))
        assert made.status_code == 201, made.text
        achievement_id = made.json()["id"]
        await remote.post(f"/v1/achievements/{achievement_id}/publish")
        issued = await remote.post(
            "/v1/credentials",
            json={
                "achievement_id": achievement_id,
                "awarded_on": "2026-07-01",
                "learner": learner or OTHER_LEARNER,
            },
        )
        assert issued.status_code == 201, issued.text
        body: dict[str, Any] = issued.json()
        return body
