"""Every operation of the OpenAPI document, sent hostile input: each answer is documented."""

from __future__ import annotations

import re
from typing import Any

import httpx
from fastapi import FastAPI

from tests.factories import Tenant

_PARAMETER = re.compile(r"\{[^}]+\}")
_NOT_UTF8 = b'{"name": "Utr\xe9cht"}'


def _operations(app: FastAPI) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in app.openapi()["paths"].items()
        for method, operation in item.items()
    ]


def _takes_json(operation: dict[str, Any]) -> bool:
    content = operation.get("requestBody", {}).get("content", {})
    return any(media.endswith("json") for media in content)


def _undocumented(operation: dict[str, Any], response: httpx.Response) -> str | None:
    documented = operation["responses"].get(str(response.status_code))
    if documented is None:
        return f"status {response.status_code}"
    media = response.headers.get("content-type", "").split(";")[0]
    if documented.get("content") and media not in documented["content"]:
        return f"{media} for {response.status_code}"
    return None


async def _send(
    client: httpx.AsyncClient, method: str, url: str, tenant: Tenant, body: bytes | None
) -> httpx.Response:
    headers = {**tenant.headers, "content-type": "application/json"}
    return await client.request(method.upper(), url, content=body, headers=headers)


def _wrong(
    method: str, path: str, operation: dict[str, Any], response: httpx.Response, expected: bool
) -> list[str]:
    if not expected:
        return [f"{method} {path}: {response.status_code} {response.text[:80]}"]
    problem = _undocumented(operation, response)
    return [f"{method} {path}: {problem} undocumented"] if problem else []


async def test_a_nul_in_any_path_parameter_is_a_documented_4xx(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    wrong: list[str] = []
    for method, path, operation in _operations(app):
        if not _PARAMETER.search(path):
            continue
        body = b"{}" if _takes_json(operation) else None
        response = await _send(client, method, _PARAMETER.sub("a%00b", path), tenant, body)
        # Most answer 422 invalid_characters (tests/http/test_guard.py); a route that parses its
        # parameters itself (the status lists) or checks its own strings (the wallets' endpoints,
        # images by digest) refuses a NUL as it refuses any bad value.
        refused = 400 <= response.status_code < 500
        wrong += _wrong(method, path, operation, response, refused)
    assert wrong == []


async def test_a_body_that_is_not_utf8_is_a_documented_400_on_every_json_operation(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    wrong: list[str] = []
    for method, path, operation in _operations(app):
        if not _takes_json(operation):
            continue
        url = _PARAMETER.sub("00000000-0000-4000-8000-000000000000", path)
        response = await _send(client, method, url, tenant, _NOT_UTF8)
        refused = response.status_code == 400 and response.json()["code"] == "invalid_body"
        wrong += _wrong(method, path, operation, response, refused)
    assert wrong == []


async def test_any_answer_to_arbitrary_parameters_is_documented(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    wrong: list[str] = []
    for method, path, operation in _operations(app):
        body = b'{"unexpected": [1, {"x": null}]}' if _takes_json(operation) else None
        response = await _send(client, method, _PARAMETER.sub("x", path), tenant, body)
        wrong += _wrong(method, path, operation, response, response.status_code < 500)
    assert wrong == []
