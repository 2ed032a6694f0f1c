"""/healthz says the process runs; /readyz says the database answers with this version's schema."""

from __future__ import annotations

import asyncio
import uuid

import httpx
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from app.db.migrate import alembic_config
from tests.databases import recreate_database, url_with_database
from tests.observability.support import client_for
from tests.serving import free_port


async def test_healthz_answers_without_authentication(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_is_200_on_a_migrated_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200, response.text
    body = response.json()
    heads = ScriptDirectory.from_config(alembic_config("")).get_heads()
    assert body == {
        "status": "ready",
        "schema_revision": ", ".join(sorted(heads)),
        "pool": "ok",
    }
    assert response.headers["cache-control"] == "no-store"


async def test_readyz_is_503_while_the_schema_is_behind_and_200_once_migrated(
    database_url: str,
) -> None:
    name = f"stapel_behind_{uuid.uuid4().hex[:8]}"
    scratch = url_with_database(database_url, name)
    await recreate_database(database_url, name)
    config = alembic_config(scratch)
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    previous = ScriptDirectory.from_config(config).get_revision(head).down_revision
    assert isinstance(previous, str)
    try:
        async with client_for(scratch) as http:
            empty = await http.get("/readyz")
            assert empty.status_code == 503
            assert empty.json()["errors"][0]["code"] == "schema"

            await asyncio.to_thread(command.upgrade, config, previous)
            behind = await http.get("/readyz")
            assert behind.status_code == 503
            assert behind.headers["content-type"] == "application/problem+json"
            problem = behind.json()
            assert problem["code"] == "not_ready"
            assert problem["errors"] == [
                {"detail": problem["errors"][0]["detail"], "code": "schema"}
            ]
            assert previous in problem["detail"]
            assert head in problem["detail"]
            assert "stapel migrate" in problem["detail"]

            await asyncio.to_thread(command.upgrade, config, "head")
            assert (await http.get("/readyz")).status_code == 200
    finally:
        await recreate_database(database_url, name, drop_only=True)


async def test_readyz_is_503_quickly_when_the_database_cannot_be_reached(
    database_url: str,
) -> None:
    # Same server settings, but TCP to a loopback port nothing listens on (no socket directory).
    unreachable = make_url(database_url).set(host="127.0.0.1", port=free_port(), query={})
    async with client_for(unreachable.render_as_string(hide_password=False)) as http:
        loop = asyncio.get_running_loop()
        started = loop.time()
        response = await http.get("/readyz")
        assert loop.time() - started < 5
        assert (await http.get("/healthz")).status_code == 200  # alive all the same
    assert response.status_code == 503
    problem = response.json()
    assert problem["code"] == "not_ready"
    assert problem["errors"][0]["code"] == "database"
    assert "database" in problem["detail"]


async def test_openapi_documents_readiness_but_not_metrics(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    readyz = schema["paths"]["/readyz"]["get"]
    assert set(readyz["responses"]) == {"200", "503"}
    assert "application/problem+json" in readyz["responses"]["503"]["content"]
    assert "security" not in readyz
    assert "/metrics" not in schema["paths"]  # an operator's port, not the API
