"""Whole responses of anonymous catalogue queries, reused for a few seconds in this process.

A portal's first catalogue page is asked for over and over, and executing it (some 2,500
resolved fields) costs far more than anything else in the request. The response bytes of a
successful query are kept under (query text, variables, operation name, extensions) for at most
``STAPEL_CATALOGUE_CACHE_SECONDS`` and dropped whenever the catalogue changes in this process
(``app.achievements.catalogue_cache``). Never cached: requests with an ``Authorization`` header,
mutations, responses with errors, batches and streamed responses.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Final

from graphql import ExecutionResult
from starlette.requests import Request
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from app.achievements.catalogue_cache import CatalogueCache

Key = tuple[str, str, str | None, str]

# A page of 100 with every field is a few hundred kilobytes; 32 MB holds the busy pages.
RESPONSES: Final[CatalogueCache[Key, bytes]] = CatalogueCache(
    max_entries=512, max_weight=32 * 1024 * 1024, weigh=len
)
_STREAMED: Final = ("multipart/mixed", "text/event-stream")


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


async def request_key(request: Request) -> Key | None:
    """The cache key of an anonymous single query over HTTP, or None if not to be cached."""
    headers = request.headers
    if "authorization" in headers or any(s in headers.get("accept", "") for s in _STREAMED):
        return None
    try:
        if request.method == "GET":
            data: Any = dict(request.query_params)
            for name in ("variables", "extensions"):
                data[name] = json.loads(data[name]) if data.get(name) else None
        elif request.method == "POST" and "application/json" in headers.get("content-type", ""):
            data = json.loads(await request.body())
        else:
            return None
    except ValueError:  # Strawberry reports a bad body itself
        return None
    if not isinstance(data, dict) or not isinstance(data.get("query"), str):
        return None
    operation: Any = data.get("operationName")
    if not isinstance(operation, str | None):
        return None
    variables, extensions = data.get("variables"), data.get("extensions")
    return (data["query"], _canonical(variables or {}), operation, _canonical(extensions or {}))


class MarkCacheable(SchemaExtension):
    """Tells the router whether the executed operation was a query that succeeded."""

    def on_execute(self) -> Iterator[None]:
        yield
        context = self.execution_context
        result = context.result
        mark = getattr(context.context, "mark_cacheable", None)
        if (
            mark is not None
            and context.operation_type is OperationType.QUERY
            and isinstance(result, ExecutionResult)
            and not result.errors
        ):
            mark()
