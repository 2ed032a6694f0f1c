"""Input Postgres cannot store, bodies nested too deep or not UTF-8: a 4xx problem, never a 500."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.types import Message

from tests.factories import Tenant, bearer, institution_payload
from tests.sis.simulator import connect_sis, course_result, scalar

PROBLEM = "application/problem+json"


def _refused(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    return body


@pytest.mark.parametrize("suffix", ["did.json", "jwks.json", "keys/k1"])
async def test_a_nul_in_a_public_path_parameter_is_a_422_naming_it(
    client: httpx.AsyncClient, suffix: str
) -> None:
    response = await client.get(f"/issuers/a%00b/{suffix}")
    body = _refused(response, 422, "invalid_characters")
    assert body["errors"] == [
        {
            "parameter": "slug",
            "detail": "must not contain NUL characters or lone surrogates",
            "code": "invalid_characters",
        }
    ]


async def test_a_nul_in_a_query_parameter_is_a_422_naming_it(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    response = await client.get("/v1/credentials?cursor=a%00b", headers=tenant.headers)
    body = _refused(response, 422, "invalid_characters")
    assert [e["parameter"] for e in body["errors"]] == ["cursor"]


@pytest.mark.parametrize("bad", ["a\u0000b", "\ud800", "x\udfff"])
async def test_an_unstorable_string_in_a_json_field_is_a_422_with_its_pointer(
    client: httpx.AsyncClient, operator: str, sessionmaker: Any, bad: str
) -> None:
    payload = institution_payload(region=bad)
    payload["identifiers"][1]["value"] = bad
    # The standard library writes a lone surrogate as the escape a client would send.
    response = await client.post(
        "/v1/institutions",
        content=json.dumps(payload),
        headers={**bearer(operator), "content-type": "application/json"},
    )
    body = _refused(response, 422, "invalid_characters")
    assert sorted(e["pointer"] for e in body["errors"]) == ["#/identifiers/1/value", "#/region"]
    listed = await client.get("/v1/institutions", headers=bearer(operator))
    assert listed.json() == []


async def test_an_escaped_backslash_before_u0000_is_ordinary_text(
    client: httpx.AsyncClient, operator: str
) -> None:
    payload = institution_payload(region="C:\\u0000 is not a NUL")
    response = await client.post("/v1/institutions", json=payload, headers=bearer(operator))
    assert response.status_code == 201, response.text
    assert response.json()["region"] == "C:\\u0000 is not a NUL"


async def test_a_surrogate_pair_is_ordinary_text(client: httpx.AsyncClient, operator: str) -> None:
    payload = institution_payload(region="Utrecht \U0001f393")
    response = await client.post(
        "/v1/institutions",
        content=json.dumps(payload),  # escaped as \ud83c\udf93
        headers={**bearer(operator), "content-type": "application/json"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["region"] == "Utrecht \U0001f393"


@pytest.mark.parametrize("path", ["/v1/institutions", "/graphql", "/credentials/verify"])
async def test_a_body_nested_ten_thousand_deep_is_a_400(
    client: httpx.AsyncClient, operator: str, path: str
) -> None:
    deep = b'{"query": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"
    response = await client.post(
        path, content=deep, headers={**bearer(operator), "content-type": "application/json"}
    )
    _refused(response, 400, "json_too_deep")


async def test_a_body_within_the_depth_limit_passes(
    client: httpx.AsyncClient, operator: str
) -> None:
    nested: Any = 1
    for _ in range(60):  # the body nests 62 deep: parsed by the guard, and let through
        nested = [nested]
    payload = institution_payload()
    payload["identifiers"][0]["extra"] = nested
    response = await client.post("/v1/institutions", json=payload, headers=bearer(operator))
    assert response.status_code == 201, response.text


async def test_a_body_that_is_not_utf8_is_a_400_invalid_body(
    client: httpx.AsyncClient, operator: str
) -> None:
    body = json.dumps(institution_payload()).encode().replace(b"Utrecht", b"Utr\xe9cht")
    response = await client.post(
        "/v1/institutions",
        content=body,
        headers={**bearer(operator), "content-type": "application/json"},
    )
    _refused(response, 400, "invalid_body")


async def test_a_nul_in_a_path_no_route_matches_is_a_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/no-such-page/a%00b")
    assert response.status_code == 404, response.text


async def test_a_nul_in_the_query_of_a_method_the_route_lacks_is_a_405(
    client: httpx.AsyncClient,
) -> None:
    response = await client.delete("/healthz?probe=a%00b")
    assert response.status_code == 405, response.text


async def test_path_query_and_body_are_each_named_in_one_refusal(
    client: httpx.AsyncClient, operator: str
) -> None:
    response = await client.patch(
        "/v1/institutions/a%00b?note=%00",
        content=json.dumps({"region": "a\u0000b"}),
        headers={**bearer(operator), "content-type": "application/json"},
    )
    body = _refused(response, 422, "invalid_characters")
    assert [(e.get("parameter"), e.get("pointer")) for e in body["errors"]] == [
        ("institution_id", None),
        ("note", None),
        (None, "#/region"),
    ]


async def test_a_route_that_checks_its_own_strings_is_left_to_do_so(
    client: httpx.AsyncClient,
) -> None:
    # The learner's pages answer an address that names nothing with a 404, NUL or not.
    response = await client.get("/c/a%00b")
    assert response.status_code == 404, response.text


# --- a client gone before its body arrived ------------------------------------------------------


def _scope(path: str, headers: dict[str, str], length: int) -> dict[str, Any]:
    """The scope uvicorn gives a request whose head has arrived."""
    raw = [(name.lower().encode(), value.encode()) for name, value in headers.items()]
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "https",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"stapel.test"), (b"content-length", str(length).encode()), *raw],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 443),
    }


def _gone_after(*chunks: bytes) -> Callable[[], Awaitable[Message]]:
    """``receive`` of a request whose client left after sending ``chunks`` of its body: what
    uvicorn answers once the connection is lost (also when the body had arrived but was not yet
    read)."""
    pending: list[Message] = [
        {"type": "http.request", "body": chunk, "more_body": True} for chunk in chunks
    ]

    async def receive() -> Message:
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    return receive


@pytest.mark.parametrize("received", [0, 1], ids=["nothing", "half"])
async def test_a_client_gone_before_its_body_was_complete_is_not_handed_a_shorter_body(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    caplog: pytest.LogCaptureFixture,
    received: int,
) -> None:
    sis = await connect_sis(client, tenant)
    body = orjson.dumps({"type": "course_result.recorded", "data": course_result()})
    scope = _scope(sis.url, sis.signed(body), len(body))
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    with caplog.at_level(logging.INFO):
        await app(scope, _gone_after(*[body[: len(body) // 2]][:received]), send)

    # Nobody hears the answer; it is what the access log and the metrics count.
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 499
    assert "signature" not in caplog.text
    assert "unhandled error" not in caplog.text
    assert await scalar(sessionmaker, "SELECT count(*) FROM sis_events") == 0


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/v1/verify", "application/vc+jwt"),
        ("/v1/verify", "text/plain"),
        ("/verify", "application/x-www-form-urlencoded"),
    ],
    ids=["credential", "text", "form"],
)
async def test_a_client_gone_mid_body_that_no_guard_reads_is_counted_not_an_error(
    app: FastAPI,
    caplog: pytest.LogCaptureFixture,
    path: str,
    content_type: str,
) -> None:
    # Bodies other than JSON reach their route unread: the route meets the disconnect itself.
    scope = _scope(path, {"Content-Type": content_type}, 4096)
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    with caplog.at_level(logging.INFO):
        await app(scope, _gone_after(b"eyJhbGciOi"), send)

    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 499
    assert "unhandled error" not in caplog.text
