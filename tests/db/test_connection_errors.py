"""`stapel migrate` names a database it cannot use in one line, never with a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from app.db.connection_errors import connection_failure
from tests.serving import ROOT, free_port


def _migrate(database_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "migrate"],
        env={**os.environ, "STAPEL_DATABASE_URL": database_url},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _assert_one_line(result: subprocess.CompletedProcess[str], *expected: str) -> None:
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for part in expected:
        assert part in lines[0]
    assert "Traceback" not in result.stderr


def test_a_missing_database_is_named_with_how_to_create_it(database_url: str) -> None:
    name = f"stapel_missing_{uuid.uuid4().hex[:8]}"
    missing = make_url(database_url).set(database=name)
    result = _migrate(missing.render_as_string(hide_password=False))
    _assert_one_line(result, f'the database "{name}" does not exist', "createdb")


def test_a_missing_role_is_named(database_url: str) -> None:
    role = f"nobody_{uuid.uuid4().hex[:8]}"
    result = _migrate(make_url(database_url).set(username=role, password=None).render_as_string())
    _assert_one_line(result, f'role "{role}"', "createuser")


def test_a_refused_connection_names_the_address(database_url: str) -> None:
    port = free_port()
    closed = make_url(database_url).set(host="127.0.0.1", port=port, query={})
    result = _migrate(closed.render_as_string(hide_password=False))
    _assert_one_line(result, f"127.0.0.1:{port}", "is Postgres running")


def test_a_wrong_password_is_named_without_the_password() -> None:
    # The test server trusts its clients, so the refusal is the driver's own exception.
    refused = asyncpg.InvalidPasswordError('password authentication failed for user "stapel"')
    url = "postgresql://stapel:s3cret-value@db.example:5433/stapel"
    message = connection_failure(refused, url)
    assert message is not None
    assert 'role "stapel"' in message
    assert "db.example:5433" in message
    assert "s3cret-value" not in message


@pytest.mark.parametrize("error", [ValueError("no"), RuntimeError("boom")])
def test_other_failures_are_not_explained_as_connection_failures(error: Exception) -> None:
    assert connection_failure(error, "postgresql://localhost/stapel") is None
