"""The answers of the request bounds and rate limits, in the OpenAPI document.

They are given by middleware and dependencies shared by many routes, not by the routes
themselves, so they are added here from what each operation is: one that takes a body can be
answered 413 and 408, one that takes an API key or is a rate-limited public route 429.
"""

from __future__ import annotations

import re
from typing import Any, Final

from app.responses import problems

# Public operations under a per-address or per-offer limit (see app.http.rate_limits).
_RATE_LIMITED_PUBLIC: Final = re.compile(
    r"^/(v1/verify|credentials/verify|presentations/verify|verify)$|^/(claim|c)/"
    r"|^/issuers/\{slug\}/token$"
)
_METHODS: Final = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


def document_limits(schema: dict[str, Any]) -> None:
    """Add 408, 413 and 429 to the operations that can answer them, where not yet there."""
    body_refusals = problems(408, 413)
    rate_limited = problems(429)
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            if method not in _METHODS:
                continue
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
