"""The one way request bodies are parsed as JSON: UTF-8, bounded in depth.

Nesting is bounded (``STAPEL_MAX_JSON_DEPTH``) because every consumer of the value walks it
recursively (pydantic, the JSON-LD expansion, the standard library's parser itself, which fails
with a ``RecursionError`` on about a thousand levels).
"""

from __future__ import annotations

import json
from typing import Any, Final

import orjson

from app.errors import InvalidBody, JsonTooDeep, MalformedRequest

# A body with fewer brackets than the limit cannot nest deeper than it: most bodies are let
# through on this count alone, which costs far less than parsing them.
_OPENING: Final = (b"[", b"{")


def brackets(body: bytes) -> int:
    return sum(body.count(bracket) for bracket in _OPENING)


def depth(value: Any, limit: int) -> int:
    """How deep ``value`` nests (a scalar is 0), counting no further than ``limit + 1``."""
    deepest = 0
    stack: list[tuple[int, Any]] = [(0, value)]
    while stack:
        level, item = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        level += 1
        deepest = max(deepest, level)
        if deepest > limit:
            return deepest
        stack.extend((level, child) for child in children)
    return deepest


def check_depth(body: bytes, value: Any, limit: int) -> None:
    if brackets(body) > limit and depth(value, limit) > limit:
        raise JsonTooDeep(f"The JSON body nests deeper than {limit} levels.")


def parse(body: bytes, max_depth: int) -> Any:
    """The JSON value of ``body``, or a 400: not UTF-8, not JSON, or nested too deep."""
    too_deep = f"The JSON body nests deeper than {max_depth} levels."
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        if "UTF-8" in exc.msg:
            raise InvalidBody("The body is not valid UTF-8.") from exc
        if "depth limit" in exc.msg:
            raise JsonTooDeep(too_deep) from exc
        if "surrogate" not in exc.msg:
            raise MalformedRequest("The body is not valid JSON.") from exc
        # Valid JSON that orjson refuses: an escaped lone surrogate. The standard library reads
        # it, so that the string holding it is named like any other that cannot be stored.
        try:
            value = json.loads(body)
        except RecursionError as deep:
            raise JsonTooDeep(too_deep) from deep
    check_depth(body, value, max_depth)
    return value
