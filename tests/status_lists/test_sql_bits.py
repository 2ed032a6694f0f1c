"""Status bits flipped by Postgres land where the spec (and our decoder) read them."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.status_lists.bitstring import (
    bit_is_set,
    decode_list,
    empty_bits,
    encode_list,
    postgres_bit_number,
)
from tests.status_lists.independent import encoded_list_bits, set_indexes

SIZE = 131072


@pytest.mark.parametrize("index", [0, 1, 7, 8, 23, 65537, SIZE - 1])
async def test_set_bit_at_the_postgres_bit_number_sets_exactly_the_status_index(
    sessionmaker: async_sessionmaker[AsyncSession], index: int
) -> None:
    async with sessionmaker() as session:
        flipped: bytes = (
            await session.execute(
                text("SELECT set_bit(CAST(:bits AS bytea), CAST(:bit AS bigint), 1)"),
                {"bits": empty_bits(SIZE), "bit": postgres_bit_number(index)},
            )
        ).scalar_one()
    assert bit_is_set(flipped, index)
    encoded = encode_list(flipped)
    assert set_indexes(encoded_list_bits(encoded)) == {index}
    assert decode_list(encoded) == flipped
