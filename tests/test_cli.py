"""The `stapel` command line, run in-process against the test database.

CLI commands call ``asyncio.run`` themselves, so these tests are synchronous; they check the
outcome over HTTP with a fresh app of their own (see :func:`http_get`).
"""

from __future__ import annotations

import asyncio
import base64
import json
import stat
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner, Result

from app.cli import cli
from app.config import get_settings
from app.devserver import GENERATED_SECRETS, SECRETS_FILE, apply_dev_secrets
from app.main import create_app
from tests.conftest import BASE_URL

runner = CliRunner()


def stapel(*args: str, expect: int = 0) -> Result:
    result = runner.invoke(cli, list(args))
    assert result.exit_code == expect, result.output
    return result


async def _get(path: str, token: str | None) -> httpx.Response:
    app = create_app()
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as http,
    ):
        return await http.get(path, headers=headers)


def http_get(path: str, token: str | None = None) -> httpx.Response:
    return asyncio.run(_get(path, token))


def create_operator_key() -> str:
    result = stapel("api-key", "create", "--operator", "--name", "ops")
    return result.stdout.strip()


def create_institution(slug: str) -> None:
    stapel(
        "institution", "create", "--slug", slug, "--legal-name", "Stichting CLI Hogeschool",
        "--display-name", "CLI Hogeschool", "--country", "NL", "--recognised",
    )  # fmt: skip


def key_id_of(api_key: str) -> str:
    return api_key.split("_")[1]


def test_operator_key_is_printed_once_to_stdout_and_authenticates(database_url: str) -> None:
    result = stapel("api-key", "create", "--operator", "--name", "ops")

    api_key = result.stdout.strip()
    assert api_key.startswith("stapel_")
    assert "\n" not in api_key, "stdout carries the key alone, so scripts can capture it"
    assert api_key not in result.stderr
    assert http_get("/v1/institutions", api_key).status_code == 200


def test_created_institution_serves_its_did_document(database_url: str) -> None:
    create_institution("cli-hogeschool")

    response = http_get("/issuers/cli-hogeschool/did.json")

    assert response.status_code == 200
    document = response.json()
    assert document["id"] == "did:web:stapel.test:issuers:cli-hogeschool"
    assert [m["type"] for m in document["verificationMethod"]] == ["JsonWebKey", "Multikey"]
    assert "cli-hogeschool" in stapel("institution", "list").stdout


def test_institution_create_reports_bad_input_by_option(database_url: str) -> None:
    result = stapel(
        "institution", "create", "--slug", "x", "--legal-name", "X", "--display-name", "X",
        "--country", "XX", expect=2,
    )  # fmt: skip
    assert "--country" in result.stderr


def test_duplicate_slug_fails_without_traceback(database_url: str) -> None:
    create_institution("twice")
    result = runner.invoke(
        cli,
        ["institution", "create", "--slug", "twice", "--legal-name", "Y", "--display-name", "Y",
         "--country", "NL"],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "exists already" in result.stderr


def test_institution_key_gets_only_the_requested_scopes(database_url: str) -> None:
    create_institution("scoped")
    result = stapel(
        "api-key", "create", "--institution", "scoped", "--scope", "credentials:read",
        "--name", "reader",
    )  # fmt: skip
    api_key = result.stdout.strip()

    assert http_get("/v1/institutions", api_key).status_code == 200
    assert http_get("/v1/keys", api_key).status_code == 403
    listed = stapel("api-key", "list", "--institution", "scoped").stdout
    assert key_id_of(api_key) in listed
    assert api_key not in listed, "the secret is never shown again"


def test_institution_key_has_every_institution_scope_by_default(database_url: str) -> None:
    create_institution("admin")
    api_key = stapel("api-key", "create", "--institution", "admin", "--name", "a").stdout.strip()

    assert http_get("/v1/keys", api_key).status_code == 200
    assert http_get("/v1/audit-events", api_key).status_code == 200


@pytest.mark.parametrize(
    "args",
    [
        ["--name", "n"],
        ["--name", "n", "--operator", "--institution", "x"],
        ["--name", "n", "--operator", "--scope", "keys:manage"],
        ["--name", "n", "--institution", "x", "--scope", "operator"],
    ],
)
def test_api_key_create_refuses_an_unclear_request(database_url: str, args: list[str]) -> None:
    result = stapel("api-key", "create", *args, expect=2)
    assert result.stdout == ""


def test_api_key_for_unknown_institution_fails(database_url: str) -> None:
    result = stapel("api-key", "create", "--institution", "nope", "--name", "n", expect=1)
    assert "nope" in result.stderr


def test_revoked_key_is_refused(database_url: str) -> None:
    api_key = create_operator_key()
    assert http_get("/v1/institutions", api_key).status_code == 200

    stapel("api-key", "revoke", key_id_of(api_key))

    assert http_get("/v1/institutions", api_key).status_code == 401
    again = stapel("api-key", "revoke", key_id_of(api_key), expect=1)
    assert "revoked already" in again.stderr
    assert key_id_of(api_key) in stapel("api-key", "list").stdout


def test_revoke_accepts_a_whole_leaked_key(database_url: str) -> None:
    api_key = create_operator_key()

    stapel("api-key", "revoke", api_key)

    assert http_get("/v1/institutions", api_key).status_code == 401


@pytest.mark.parametrize(("argument", "exit_code"), [("not-a-key-id", 2), ("0123456789abcdef", 1)])
def test_revoke_of_an_unknown_key_fails(database_url: str, argument: str, exit_code: int) -> None:
    result = stapel("api-key", "revoke", argument, expect=exit_code)
    assert result.stderr.startswith("error:")


def test_rotation_keeps_the_old_key_in_the_did_document(database_url: str) -> None:
    create_institution("rotating")

    stapel("keys", "rotate", "--institution", "rotating", "--algorithm", "RS256")

    document = http_get("/issuers/rotating/did.json").json()
    methods = document["verificationMethod"]
    algorithms = sorted(m["publicKeyJwk"]["kty"] for m in methods if m["type"] == "JsonWebKey")
    assert algorithms == ["EC", "RSA"]
    listed = stapel("keys", "list", "--institution", "rotating").stdout
    assert "active" in listed
    assert "retired" in listed


def test_keys_of_an_unknown_institution_fail(database_url: str) -> None:
    result = stapel("keys", "rotate", "--institution", "nope", expect=1)
    assert "nope" in result.stderr


def test_migrate_on_a_migrated_database_changes_nothing(database_url: str) -> None:
    assert "up to date" in stapel("migrate").stdout


def test_openapi_writes_the_apps_document(tmp_path: Path) -> None:
    output = tmp_path / "nested" / "openapi.json"

    stapel("openapi", "--output", str(output))

    text = output.read_text(encoding="utf-8")
    assert text.endswith("}\n")
    document = json.loads(text)
    assert document["openapi"].startswith("3.1")
    assert document == json.loads(json.dumps(create_app().openapi()))


def test_missing_settings_are_named_without_their_values(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("STAPEL_KEY_ENCRYPTION_KEY")
    monkeypatch.setenv("STAPEL_LEARNER_LOOKUP_KEY", "not-base64-secret!")
    get_settings.cache_clear()
    try:
        result = stapel("institution", "list", expect=1)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()

    assert "STAPEL_KEY_ENCRYPTION_KEY" in result.stderr
    assert "STAPEL_LEARNER_LOOKUP_KEY" in result.stderr
    assert "not-base64-secret" not in result.output


def test_dev_secrets_are_generated_once_private_and_reused(tmp_path: Path) -> None:
    first: dict[str, str] = {}
    apply_dev_secrets(tmp_path, first)
    second: dict[str, str] = {}
    apply_dev_secrets(tmp_path, second)

    assert set(first) == set(GENERATED_SECRETS)
    assert first == second
    assert all(len(base64.b64decode(value)) == 32 for value in first.values())
    assert stat.S_IMODE((tmp_path / SECRETS_FILE).stat().st_mode) == 0o600


def test_dev_secrets_never_override_the_environment(tmp_path: Path) -> None:
    environ = {"STAPEL_KEY_ENCRYPTION_KEY": "from-the-environment"}

    apply_dev_secrets(tmp_path, environ)

    assert environ["STAPEL_KEY_ENCRYPTION_KEY"] == "from-the-environment"
    assert environ["STAPEL_LEARNER_LOOKUP_KEY"]
