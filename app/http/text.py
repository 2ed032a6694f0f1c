"""Strings Postgres cannot store: NUL and lone surrogates.

Postgres refuses NUL in ``text`` and ``\\u0000`` in ``jsonb``, and the driver cannot encode a
lone surrogate (which a JSON ``\\ud800`` escape decodes to) as UTF-8. Input holding one is
refused where it enters, naming the field, instead of failing at the database.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Final

INVALID_CHARACTERS: Final = "invalid_characters"
INVALID_CHARACTERS_DETAIL: Final = "must not contain NUL characters or lone surrogates"

_UNSTORABLE: Final = re.compile("[\x00\ud800-\udfff]")


def storable(text: str) -> bool:
    return _UNSTORABLE.search(text) is None


def pointer_to(parts: tuple[str | int, ...]) -> str:
    """A JSON Pointer (RFC 6901) as a URI fragment, as in the problems' ``errors``."""
    escaped = (str(p).replace("~", "~0").replace("/", "~1") for p in parts)
    return "#/" + "/".join(escaped) if parts else "#"


def unstorable_paths(value: Any) -> Iterator[tuple[str | int, ...]]:
    """Where in a parsed JSON value a string (key or value) cannot be stored."""
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if not storable(item):
                yield path
        elif isinstance(item, dict):
            for key, child in item.items():
                if not storable(key):
                    yield (*path, key)
                stack.append(((*path, key), child))
        elif isinstance(item, list):
            stack.extend(((*path, index), child) for index, child in enumerate(item))


def sanitised(value: Any) -> Any:
    """``value`` with every unstorable character replaced by U+FFFD, to keep what was refused."""
    if isinstance(value, str):
        return _UNSTORABLE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {sanitised(key): sanitised(child) for key, child in value.items()}
    if isinstance(value, list):
        return [sanitised(child) for child in value]
    return value
