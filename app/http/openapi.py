"""The OpenAPI document names what the input checks answer, on every operation they guard.

:class:`~app.http.guard.InputGuardMiddleware` answers any JSON body that is not UTF-8 or nested
too deep with a 400 problem (as FastAPI does one that is not JSON), and
:func:`~app.http.strings.refuse_unstorable_input` a string that cannot be stored with a 422.
Routes do not list these one by one: they are added here to each operation that takes a JSON
body or parameters, so none can be forgotten.
"""

from __future__ import annotations

from typing import Any, Final

from app.http.guard import is_json
from app.problems import PROBLEM_MEDIA_TYPE

_METHODS: Final = frozenset({"get", "put", "post", "patch", "delete"})
_PROBLEM: Final = {"schema": {"$ref": "#/components/schemas/Problem"}}
MALFORMED_BODY: Final = (
    "Malformed body: not JSON, not UTF-8 (invalid_body) or too deep (json_too_deep)"
)
UNSTORABLE_INPUT: Final = (
    "Validation failure, or characters that cannot be stored (invalid_characters)"
)


def _document(responses: dict[str, Any], status: str, description: str) -> None:
    """A problem answer for ``status``, beside whatever the operation already documents."""
    entry = responses.setdefault(status, {"description": description})
    entry.setdefault("content", {}).setdefault(PROBLEM_MEDIA_TYPE, _PROBLEM)


def document_input_problems(schema: dict[str, Any]) -> None:
    for path_item in schema.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in _METHODS:
                continue
            responses = operation.setdefault("responses", {})
            body = operation.get("requestBody", {}).get("content", {})
            if any(is_json(media.encode()) for media in body):
                _document(responses, "400", MALFORMED_BODY)
            if body or operation.get("parameters"):
                _document(responses, "422", UNSTORABLE_INPUT)
