"""What the shared input checks, request bounds and rate limits answer, in the OpenAPI document.

They are given by middleware and dependencies shared by many routes, not by the routes
themselves, so they are added here from what each operation is, and none can be forgotten:

* :class:`~app.http.guard.InputGuardMiddleware` answers a JSON body that is not UTF-8 or nested
  too deep with a 400 problem (as FastAPI does one that is not JSON), and a string that cannot
  be stored (``app.http.strings``) with a 422;
* an operation that takes a body can be answered 413 and 408 (``app.http.limits``);
* one that takes an API key, or is a rate-limited public route, 429 (``app.http.rate_limits``).
"""

from __future__ import annotations

import re
from typing import Any, Final

from app.http.guard import is_json
from app.problems import PROBLEM_MEDIA_TYPE
from app.responses import problems

# Public operations under a per-address or per-offer limit (see app.http.rate_limits).
_RATE_LIMITED_PUBLIC: Final = re.compile(
    r"^/(v1/verify|credentials/verify|presentations/verify|verify)$|^/(claim|c)/"
    r"|^/issuers/\{slug\}/token$"
)
_METHODS: Final = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
_INPUT_METHODS: Final = frozenset({"get", "put", "post", "patch", "delete"})
_PROBLEM: Final = {"schema": {"$ref": "#/components/schemas/Problem"}}
MALFORMED_BODY: Final = (
    "Malformed body: not JSON, not UTF-8 (invalid_body) or too deep (json_too_deep)"
)
UNSTORABLE_INPUT: Final = (
    "Validation failure, or characters that cannot be stored (invalid_characters)"
)


def _operations(schema: dict[str, Any], methods: frozenset[str]) -> list[tuple[str, Any]]:
    return [
        (path, operation)
        for path, item in schema.get("paths", {}).items()
        for method, operation in item.items()
        if method in methods
    ]


def document_limits(schema: dict[str, Any]) -> None:
    """Add 408, 413 and 429 to the operations that can answer them, where not yet there."""
    body_refusals = problems(408, 413)
    rate_limited = problems(429)
    for path, operation in _operations(schema, _METHODS):
        responses: dict[str, Any] = operation.setdefault("responses", {})
        added: dict[int | str, dict[str, Any]] = {}
        if "requestBody" in operation:
            added |= body_refusals
        if "security" in operation or _RATE_LIMITED_PUBLIC.match(path):
            added |= rate_limited
        for status, entry in added.items():
            responses.setdefault(str(status), _without_model(entry))


def _without_model(entry: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in entry.items() if key != "model"}


def _document(responses: dict[str, Any], status: str, description: str) -> None:
    """A problem answer for ``status``, beside whatever the operation already documents."""
    entry = responses.setdefault(status, {"description": description})
    entry.setdefault("content", {}).setdefault(PROBLEM_MEDIA_TYPE, _PROBLEM)


def document_input_problems(schema: dict[str, Any]) -> None:
    """Add the 400 and 422 of the input checks to every operation they guard."""
    for _, operation in _operations(schema, _INPUT_METHODS):
        responses = operation.setdefault("responses", {})
        body = operation.get("requestBody", {}).get("content", {})
        if any(is_json(media.encode()) for media in body):
            _document(responses, "400", MALFORMED_BODY)
        if body or operation.get("parameters"):
            _document(responses, "422", UNSTORABLE_INPUT)
