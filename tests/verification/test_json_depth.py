"""The nesting limit on decoded JSON: where exactly it lies, whatever the shape."""

from __future__ import annotations

from typing import Any

import pytest

from app.verification.jws import depth_exceeds


def _nested(levels: int, innermost: Any) -> Any:
    value = innermost
    for n in range(levels):
        value = [value] if n % 2 else {"k": value}
    return value


@pytest.mark.parametrize("innermost", [[], {}, 1, "text", None])
def test_the_limit_counts_every_container_and_what_the_innermost_holds(innermost: Any) -> None:
    value = _nested(9, innermost)  # nine containers around an empty one or a scalar: ten levels
    assert not depth_exceeds(value, 10)
    assert depth_exceeds(value, 9)


def test_an_empty_container_and_a_lone_scalar_are_one_level() -> None:
    assert not depth_exceeds({}, 1)
    assert not depth_exceeds("text", 1)
    assert depth_exceeds({"a": 1}, 1)
    assert not depth_exceeds({"a": 1}, 2)


def test_the_deepest_branch_counts_however_wide_the_others_are() -> None:
    wide = {f"k{i}": [1, 2, {"x": "y"}] for i in range(1000)}
    wide["deep"] = _nested(20, 1)
    assert not depth_exceeds(wide, 22)
    assert depth_exceeds(wide, 21)
