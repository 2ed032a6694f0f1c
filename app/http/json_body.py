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
_CONTAINERS: Final = (dict, list)


def brackets(body: bytes) -> int:
    return sum(body.count(bracket) for bracket in _OPENING)


def depth(value: Any, limit: int) -> int:
    """How deep ``value`` nests (a scalar is 0), counting no further than ``limit + 1``.

    Only containers are visited: scalars, most of any document, cost one type check each.
    """
    if type(value) not in _CONTAINERS:
        return 0
    deepest = 1
    stack: list[tuple[int, Any]] = [(1, value)]
    while stack:
        level, item = stack.pop()
        children = item.values() if type(item) is dict else item
        nested = [child for child in children if type(child) in _CONTAINERS]
        if nested:
            deepest = max(deepest, level + 1)
            if deepest > limit:
                return deepest
            stack.extend((level + 1, child) for child in nested)
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
