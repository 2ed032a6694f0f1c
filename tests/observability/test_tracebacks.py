"""A failing request's traceback in the logs: no statement parameters, no values, no locals."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.observability.logging import configure_logging
from tests.databases import refusing_inserts
from tests.factories import Tenant
from tests.observability.test_logging import _unconfigure
from tests.sis.simulator import connect_sis, course_result

STUDENT_NUMBER = "s7654321"
NAME = "Jantje Peeters"
EMAIL = "jantje.peeters@student.voorbeeld.nl"
# Nothing of the learner may show, not even part of the address.
PERSONAL = (
    STUDENT_NUMBER,
    "7654321",
    "Jantje",
    "Peeters",
    "jantje",
    "peeters",
    "student.voorbeeld",
)


@pytest.fixture(params=["json", "text"])
def log_format(request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]) -> Iterator[str]:
    level = logging.getLogger().level
    configure_logging("INFO", json=request.param == "json")
    capsys.readouterr()
    try:
        yield str(request.param)
    finally:
        _unconfigure()
        logging.getLogger().setLevel(level)


async def test_a_database_error_logs_its_traceback_without_personal_data(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    capsys: pytest.CaptureFixture[str],
    log_format: str,
) -> None:
    sis = await connect_sis(client, tenant)
    result = course_result()
    result["student"] = {"id": STUDENT_NUMBER, "name": NAME, "email": EMAIL}
    async with refusing_inserts(sessionmaker, "sis_results"):
        response = await sis.batch([result])
    assert response.status_code == 500
    assert response.json()["code"] == "internal_error"
    logged = _logged_without_personal_data(capsys)
    # Where it happened and what kind of error it was are there.
    assert "unhandled error" in logged
    assert "Traceback" in logged
    assert "sqlstate=23514" in logged
    assert "stapel_test_refuse_sis_results" in logged


async def test_a_graphql_resolver_failure_logs_without_personal_data(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    capsys: pytest.CaptureFixture[str],
    log_format: str,
) -> None:
    from tests.graphql.test_mutations import CREATE, payload_without_meta

    payload = payload_without_meta()
    payload["title"] = f"{NAME} {STUDENT_NUMBER}"
    async with refusing_inserts(sessionmaker, "achievements"):
        response = await client.post(
            "/graphql",
            json={"query": CREATE, "variables": {"input": payload}},
            headers=tenant.headers,
        )
    assert response.json()["errors"][0]["extensions"]["code"] == "internal_error"
    _logged_without_personal_data(capsys)


def _logged_without_personal_data(capsys: pytest.CaptureFixture[str]) -> str:
    """What was logged, checked to hold the failure and nothing of the learner."""
    logged = capsys.readouterr().out
    assert "CheckViolationError" in logged
    leaked = [value for value in PERSONAL if value in logged]
    assert leaked == [], logged
    return logged
