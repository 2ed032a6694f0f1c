"""JSONB written and read with orjson, as the standard library would write and read it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import literal, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db.session import json_dumps, json_loads

_AWKWARD_VALUES: list[Any] = [
    {"name": "Zoë Ångström — 学位", "emoji": "🎓", "escape": 'a"b\\c\n\t\u0001'},
    {"floats": [0.1, 1.0, 1.5e16, 1e-7, -0.0, 5.5], "ints": [0, -1, 2**63 - 1, -(2**63)]},
    {"beyond 64 bits": [2**64, -(2**63) - 1, 10**30]},
    {"1": "string key", "nested": {"list": [None, True, False, [], {}]}},
]


@pytest.mark.parametrize("value", _AWKWARD_VALUES)
def test_json_codec_reads_and_writes_as_the_standard_library(value: Any) -> None:
    assert json.loads(json_dumps(value)) == value
    assert json_loads(json.dumps(value)) == json.loads(json.dumps(value))
    assert type(json_loads(json.dumps(value))) is type(value)


def test_json_codec_falls_back_for_what_orjson_refuses() -> None:
    assert json.loads(json_dumps({1: "a", None: "b"})) == {"1": "a", "null": "b"}
    assert json_loads("[1" + "0" * 400 + ".0]") == json.loads("[1" + "0" * 400 + ".0]")
    assert json_loads("[123456789012345678901234567890]") == [123456789012345678901234567890]
    with pytest.raises(TypeError):  # refused as json.dumps refuses it, not stored as a string
        json_dumps({"at": datetime.now(UTC)})


@pytest.mark.parametrize("value", _AWKWARD_VALUES)
async def test_jsonb_values_round_trip_through_postgres_unchanged(
    sessionmaker: async_sessionmaker[AsyncSession], value: Any
) -> None:
    async with sessionmaker() as session:
        read = (await session.execute(select(literal(value, JSONB)))).scalar_one()
    assert read == json.loads(json.dumps(value))
