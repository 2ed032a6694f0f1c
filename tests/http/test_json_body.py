"""The one JSON parse with a depth limit: what it accepts, what it refuses and how."""

from __future__ import annotations

from typing import Any

import pytest

from app.errors import InvalidBody, JsonTooDeep, MalformedRequest
from app.http import json_body


def _nested(levels: int) -> Any:
    value: Any = "leaf"
    for level in range(levels):
        value = [value] if level % 2 else {"k": value}
    return value


@pytest.mark.parametrize("levels", [0, 1, 2, 7, 64])
def test_depth_counts_the_levels_of_containers(levels: int) -> None:
    assert json_body.depth(_nested(levels), 64) == levels


def test_depth_stops_counting_past_the_limit() -> None:
    assert json_body.depth(_nested(500), 10) == 11


def test_a_body_at_the_limit_parses_and_one_deeper_is_json_too_deep() -> None:
    assert json_body.parse(b"[" * 8 + b"]" * 8, 8) == _list_of(8)
    with pytest.raises(JsonTooDeep):
        json_body.parse(b"[" * 9 + b"]" * 9, 8)
    with pytest.raises(JsonTooDeep):  # beyond orjson's own limit as well
        json_body.parse(b"[" * 5000 + b"]" * 5000, 64)


def test_a_lone_surrogate_escape_is_read_for_the_string_check_to_name() -> None:
    assert json_body.parse(b'{"name": "\\ud800"}', 64) == {"name": "\ud800"}


@pytest.mark.parametrize(
    ("body", "error"),
    [(b'{"name": "Utr\xe9cht"}', InvalidBody), (b'{"name": ', MalformedRequest)],
)
def test_bodies_that_are_not_utf8_or_not_json_are_refused(
    body: bytes, error: type[Exception]
) -> None:
    with pytest.raises(error):
        json_body.parse(body, 64)


def _list_of(levels: int) -> Any:
    value: Any = []
    for _ in range(levels - 1):
        value = [value]
    return value
