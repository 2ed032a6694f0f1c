"""The answers of the request bounds, in the OpenAPI document.

They are given by a middleware in front of every route, not by the routes themselves, so they
are added here from what each operation is: one that takes a body can be answered 413 and 408.
"""

from __future__ import annotations

from typing import Any, Final

from app.responses import problems

_METHODS: Final = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


def document_limits(schema: dict[str, Any]) -> None:
    """Add 408 and 413 to the operations that can answer them, where not yet there."""
    body_refusals = problems(408, 413)
    for item in schema.get("paths", {}).values():
        for method, operation in item.items():
            if method not in _METHODS:
                continue
            responses: dict[str, Any] = operation.setdefault("responses", {})
            added: dict[int | str, dict[str, Any]] = {}
            if "requestBody" in operation:
                added |= body_refusals
            for status, entry in added.items():
                responses.setdefault(str(status), _without_model(entry))


def _without_model(entry: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in entry.items() if key != "model"}
