"""Structured logs: JSON lines with the request id, one access line per request, no secrets."""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import uuid
import warnings
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.auth.tokens import parse_token
from app.keys.algorithms import load_private_key
from app.keys.models import SigningKey
from app.keys.wrapping import default_key_wrapper
from app.observability.logging import REDACTED, configure_logging, get_logger, redact_text
from tests.credentials.helpers import issue, published_achievement
from tests.factories import add_key, create_tenant
from tests.observability.support import client_for
from tests.serving import free_port

API_KEY = "stapel_0123456789abcdef_" + "S" * 43
JWT = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLWJ5dGVz"


class Logs:
    """What the configured logging wrote to stdout during the test."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self._capsys = capsys
        self._text = ""

    @property
    def text(self) -> str:
        for handler in logging.getLogger().handlers:
            handler.flush()  # access lines are written once per turn of the event loop
        self._text += self._capsys.readouterr().out
        return self._text

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text.splitlines() if line.strip()]

    def access(self, route: str, method: str = "GET") -> list[dict[str, Any]]:
        return [
            line
            for line in self.lines()
            if line.get("logger") == "stapel.access"
            and line.get("route") == route
            and line.get("method") == method
        ]


def _unconfigure() -> None:
    root = logging.getLogger()
    for handler in [h for h in root.handlers if h.get_name() == "stapel"]:
        root.removeHandler(handler)
    logging.captureWarnings(False)
    for name in ("sqlalchemy", "httpx", "httpcore", "hpack"):
        logging.getLogger(name).setLevel(logging.NOTSET)


@pytest.fixture
def logs(capsys: pytest.CaptureFixture[str]) -> Iterator[Logs]:
    level = logging.getLogger().level
    configure_logging("DEBUG", json=True)
    capsys.readouterr()  # start empty
    try:
        yield Logs(capsys)
    finally:
        _unconfigure()
        logging.getLogger().setLevel(level)


# --- the redaction itself ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "secret",
    [
        API_KEY,
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        JWT,
        "sanne.devries@student.voorbeeld.nl",
        "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n"
        "-----END PRIVATE KEY-----",
    ],
)
def test_values_that_look_secret_are_masked_inside_any_text(secret: str) -> None:
    masked = redact_text(f"before {secret} after")
    assert secret not in masked
    assert masked == f"before {REDACTED} after"


def test_passwords_in_urls_are_masked() -> None:
    masked = redact_text("cannot reach postgresql://stapel:hunter2@db.internal:5432/stapel")
    assert "hunter2" not in masked
    assert "postgresql://stapel:" in masked
    assert "db.internal:5432/stapel" in masked


def test_sensitive_keys_and_values_never_reach_the_output(logs: Logs) -> None:
    get_logger("test").info(
        "event with secrets",
        authorization=f"Bearer {API_KEY}",
        api_key="anything",
        webhook_secret="anything",
        password="hunter2",
        token="t0ken",
        key_encryption_key="a2VrIGtleQ==",
        learner_lookup_key="bG9va3Vw",
        jwt="not even jwt-shaped",
        private_key={"kty": "EC", "d": "private-scalar"},
        nested={"headers": {"Authorization": "Basic dXNlcjpwYXNz"}, "note": [JWT, "kept"]},
        learner="Mail sanne@voorbeeld.nl",
        count=3,
    )
    logging.getLogger("uvicorn.error").warning("stdlib %s too", API_KEY)
    try:
        raise ValueError(f"bad token {JWT}")
    except ValueError:
        logging.getLogger("app.problems").exception("unhandled error")

    text = logs.text
    for secret in (
        API_KEY,
        JWT,
        "hunter2",
        "t0ken",
        "a2VrIGtleQ==",
        "bG9va3Vw",
        "private-scalar",
        "dXNlcjpwYXNz",
        "sanne@voorbeeld.nl",
        "not even jwt-shaped",
    ):
        assert secret not in text
    structured, stdlib, failure = logs.lines()
    assert structured["event"] == "event with secrets"
    assert structured["authorization"] == REDACTED
    assert structured["private_key"] == REDACTED
    assert structured["nested"] == {
        "headers": {"Authorization": REDACTED},
        "note": [REDACTED, "kept"],
    }
    assert structured["count"] == 3
    assert structured["level"] == "info"
    assert structured["logger"] == "test"
    assert "timestamp" in structured
    assert stdlib == {
        "event": f"stdlib {REDACTED} too",
        "level": "warning",
        "logger": "uvicorn.error",
        "timestamp": stdlib["timestamp"],
    }
    assert failure["level"] == "error"
    assert "ValueError: bad token [REDACTED]" in failure["exception"]


def test_warnings_are_logged_as_json(logs: Logs) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        logging.captureWarnings(True)
        warnings.warn("a deprecated thing", DeprecationWarning, stacklevel=1)
    (line,) = [line for line in logs.lines() if line["logger"] == "py.warnings"]
    assert "a deprecated thing" in line["event"]
    assert line["level"] == "warning"


def test_console_format_is_for_people_and_still_redacts(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", json=False)
    try:
        capsys.readouterr()
        get_logger("test").info("hello", api_key=API_KEY, note=f"key {API_KEY}")
        get_logger("test").debug("below the level")
        out = capsys.readouterr().out
    finally:
        _unconfigure()
    assert "hello" in out
    assert API_KEY not in out
    assert "below the level" not in out
    with pytest.raises(json.JSONDecodeError):
        json.loads(out.splitlines()[0])


# --- request ids and access lines -------------------------------------------------------------


async def test_request_id_is_accepted_generated_echoed_and_logged(
    client: httpx.AsyncClient, logs: Logs
) -> None:
    given = await client.get("/healthz", headers={"X-Request-ID": "probe-42.a:b"})
    assert given.headers["x-request-id"] == "probe-42.a:b"
    malformed = await client.get("/healthz", headers={b"X-Request-ID": b"has spaces \xfc"})
    replaced = malformed.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", replaced)
    generated = (await client.get("/healthz")).headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    assert generated != replaced

    lines = logs.access("/healthz")
    assert [line["request_id"] for line in lines] == ["probe-42.a:b", replaced, generated]
    first = lines[0]
    assert first["method"] == "GET"
    assert first["status"] == 200
    assert first["event"] == "request"
    assert first["level"] == "debug"  # probes are quiet at the default level
    assert isinstance(first["duration_ms"], float)


async def test_a_request_id_that_looks_like_a_token_is_masked_in_the_access_line(
    client: httpx.AsyncClient, logs: Logs
) -> None:
    # Well-formed as a request id (letters, digits, dots), and echoed as sent, but shaped
    # like a JWT: the caller chose it, so the line masks it.
    token_like = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    response = await client.get("/healthz", headers={"X-Request-ID": token_like})
    assert response.headers["x-request-id"] == token_like

    (line,) = logs.access("/healthz")
    assert line["request_id"] == REDACTED
    assert token_like not in json.dumps(logs.lines())


async def test_lines_written_during_a_request_carry_its_request_id(
    database_url: str, logs: Logs
) -> None:
    unreachable = make_url(database_url).set(host="127.0.0.1", port=free_port(), query={})
    async with client_for(unreachable.render_as_string(hide_password=False)) as http:
        response = await http.get("/readyz", headers={"X-Request-ID": "ready-check-1"})
    assert response.status_code == 503
    during = [line for line in logs.lines() if line.get("request_id") == "ready-check-1"]
    assert {line["logger"] for line in during} == {"app.observability.health", "stapel.access"}


async def test_access_lines_name_the_route_template_and_the_authenticated_caller(
    client: httpx.AsyncClient, operator: str, logs: Logs
) -> None:
    tenant = await create_tenant(client, operator)
    achievement = await published_achievement(client, tenant)
    fetched = await client.get(f"/v1/achievements/{achievement['id']}", headers=tenant.headers)
    assert fetched.status_code == 200
    (line,) = logs.access("/v1/achievements/{achievement_id}")
    assert line["institution_id"] == tenant.id
    assert uuid.UUID(line["client_id"])
    assert line["status"] == 200
    assert line["level"] == "info"
    assert achievement["id"] not in json.dumps(line)

    await client.get("/v1/achievements", headers={"Authorization": f"Bearer {API_KEY}"})
    (refused,) = logs.access("/v1/achievements")
    assert refused["status"] == 401
    assert "client_id" not in refused
    assert "institution_id" not in refused


def _secret_half(token: str) -> str:
    """The secret part on its own; it may contain "_" itself (base64url), so not split("_")."""
    issued = parse_token(token)
    assert issued is not None
    return issued.secret


async def _private_key_material(
    sessionmaker: async_sessionmaker[AsyncSession], institution: str
) -> list[str]:
    async with sessionmaker() as session:
        key = (
            await session.execute(
                select(SigningKey).where(SigningKey.institution_id == uuid.UUID(institution))
            )
        ).scalar_one()
    context = f"stapel-signing-key:{key.institution_id}:{key.kid}".encode()
    private = load_private_key(default_key_wrapper().unwrap(key.wrapped_private_key, context))
    der = base64.b64encode(
        private.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    ).decode()
    material = [der, der[-40:], base64.b64encode(key.wrapped_private_key).decode()[-40:]]
    if isinstance(private, ec.EllipticCurvePrivateKey):  # the JWK "d" member
        scalar = private.private_numbers().private_value.to_bytes(32, "big")
        material.append(base64.urlsafe_b64encode(scalar).decode().rstrip("="))
    return material


async def test_no_api_key_private_key_jwt_or_learner_identifier_is_logged(
    client: httpx.AsyncClient,
    operator: str,
    sessionmaker: async_sessionmaker[AsyncSession],
    logs: Logs,
) -> None:
    tenant = await create_tenant(client, operator)
    second_key = await add_key(client, tenant, {"credentials:read"})
    achievement = await published_achievement(client, tenant)
    learner = {
        "name": "Sanne de Vries",
        "student_number": "s7654321",
        "email": "Sanne.deVries@student.voorbeeld.nl",
    }
    credential = await issue(client, tenant, achievement["id"], learner=learner)
    for query in (
        {"student_number": learner["student_number"]},
        {"email": learner["email"]},
    ):
        found = await client.get("/v1/credentials", params=query, headers=tenant.headers)
        assert found.status_code == 200
    verified = await client.post("/v1/verify", json={"verifiableCredential": credential["jwt"]})
    assert verified.json()["verified"] is True
    vcapi = await client.post(
        "/credentials/verify", json={"verifiableCredential": credential["jwt"]}
    )
    assert vcapi.status_code == 200
    wrong = await client.get(
        "/v1/credentials", headers={"Authorization": f"Bearer {tenant.token}x"}
    )
    assert wrong.status_code == 401
    claim = str(credential["claim_url"]).removeprefix("https://stapel.test")
    token = claim.rsplit("/", 1)[1]
    assert (await client.get(claim)).status_code == 200
    assert (await client.post(f"{claim}/publish")).status_code == 303
    published = await client.get(f"/v1/credentials/{credential['id']}", headers=tenant.headers)
    public_id = str(published.json()["public_url"]).rsplit("/", 1)[1]
    assert (await client.get(f"/c/{public_id}")).status_code == 200
    assert logs.access("/claim/{token}")  # the route, never the path with the token
    assert logs.access("/c/{public_id}")

    text = logs.text
    assert len(logs.lines()) >= 10  # the requests above were logged, one line each at least
    secrets = [
        tenant.token,
        _secret_half(tenant.token),
        second_key,
        operator,
        str(credential["jwt"]),
        str(credential["jwt"]).split(".")[2],  # the signature
        learner["student_number"],
        learner["email"],
        learner["email"].lower(),
        token,
        token.partition("-")[2],  # the claim link's secret half
        public_id,
        os.environ["STAPEL_KEY_ENCRYPTION_KEY"],
        os.environ["STAPEL_LEARNER_LOOKUP_KEY"],
        *await _private_key_material(sessionmaker, tenant.id),
    ]
    for secret in secrets:
        assert secret not in text
    assert "PRIVATE KEY" not in text
    assert not re.search(r"eyJ[A-Za-z0-9_-]+\.eyJ", text)
