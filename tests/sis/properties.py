"""Hypothesis strategies for the SIS intake's property tests: hostile JSON and text."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from app.http.text import storable, unstorable_paths

# Text as an SIS (or an attacker) may send it: NUL and lone surrogates included.
TEXT = st.text(st.characters(codec=None, categories=None), max_size=20) | st.sampled_from(
    ["", "s0000001", "7,5", "2026-06-24", "ja", "\x00", "\ud800", "a\x00b", "INF-DLPM-01"]
)
JSON: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(TEXT, inner, max_size=6),
    max_leaves=20,
)

# Derandomized: the same examples on every run, so that the suite does not flap.
PROPERTIES = settings(
    derandomize=True,
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def assert_storable_rows(rows: list[dict[str, Any]]) -> None:
    """Every row as the intake would insert it: nothing Postgres would refuse, any outcome."""
    for row in rows:
        assert list(unstorable_paths(row["payload"])) == []
        assert storable(row.get("reason") or "")
        assert storable(row.get("subject_key") or "")
        assert row["status"] in ("pending", "failed")
        assert (row["status"] == "failed") == (row.get("reason_code") == "invalid_data")
