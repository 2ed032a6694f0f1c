"""Generators and checks of our own for the GraphQL fuzz run."""

from __future__ import annotations

import json

import graphql
import httpx
from hypothesis import strategies as st

_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


def literal(value: object) -> graphql.ValueNode:
    """A JSON value as a GraphQL literal, as a client writes the ``JSON`` scalar inline.

    Scalars and lists are written as in JSON; object keys are names, not strings.
    """
    if isinstance(value, list):
        return graphql.ListValueNode(values=tuple(literal(item) for item in value))
    if isinstance(value, dict):
        return graphql.ObjectValueNode(
            fields=tuple(
                graphql.ObjectFieldNode(name=graphql.NameNode(value=_name(key)), value=literal(v))
                for key, v in value.items()
            )
        )
    return graphql.parse_value(json.dumps(value))


def _name(key: str) -> str:
    """GraphQL object fields are names: keys that are not become one."""
    cleaned = "".join(c for c in key if c.isascii() and (c.isalnum() or c == "_"))
    return cleaned if cleaned and not cleaned[0].isdigit() else f"k{cleaned}"


# The mutations take the REST body as a JSON scalar, which no generator knows of itself.
JSON_LITERALS = _JSON.map(literal)


def answered_as_designed(response: httpx.Response) -> None:
    """Below 500, and every GraphQL error either a report of GraphQL's own (parse, validation:
    no ``path``) or one a resolver meant, with a code of ours other than ``internal_error``."""
    assert response.status_code < 500, f"{response.status_code}: {response.text[:300]}"
    if not response.headers.get("content-type", "").startswith("application/json"):
        return
    for error in response.json().get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        assert code != "internal_error", f"unexpected: {error}"
        assert code is not None or "path" not in error, f"an error no resolver meant: {error}"
