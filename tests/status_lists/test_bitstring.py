"""The encodedList codec, checked against published vectors and an independent decoder."""

from __future__ import annotations

import base64
import gzip
import json
import zlib
from pathlib import Path
from typing import Any

import pytest

from app.status_lists.bitstring import (
    MAX_DECODED_BYTES,
    MalformedStatusList,
    bit_is_set,
    decode_list,
    empty_bits,
    encode_list,
    postgres_bit_number,
)
from tests.status_lists.independent import bits_with, encoded_list_bits, set_indexes

# A copy of the shared vectors/status-list file; see vectors/README.md for where they come from.
VECTORS: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "vectors" / "bitstring-status-list-vectors.json").read_text()
)["vectors"]
SIZE = 131072
SOME_INDEXES = {0, 1, 7, 8, 23, 4242, 65535, 65536, SIZE - 9, SIZE - 1}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: f"set={v['setIndexes']}")
def test_published_vectors_decode_to_their_length_and_set_indexes(vector: dict[str, Any]) -> None:
    bits = decode_list(vector["encodedList"])
    assert len(bits) * 8 == vector["lengthBits"]
    assert {i for i in range(len(bits) * 8) if bit_is_set(bits, i)} == set(vector["setIndexes"])
    # The independent decoder agrees, so it can be trusted for the checks below.
    assert set_indexes(encoded_list_bits(vector["encodedList"])) == set(vector["setIndexes"])


def test_encoded_list_round_trips_and_an_independent_decoder_reads_the_same_bits() -> None:
    bits = bits_with(SIZE, SOME_INDEXES)
    encoded = encode_list(bits)
    assert decode_list(encoded) == bits
    assert set_indexes(encoded_list_bits(encoded)) == SOME_INDEXES


def test_bit_is_set_numbers_from_the_most_significant_bit_of_the_first_byte() -> None:
    bits = bits_with(SIZE, SOME_INDEXES)
    assert {i for i in range(SIZE) if bit_is_set(bits, i)} == SOME_INDEXES
    assert bit_is_set(b"\x80", 0)
    assert not bit_is_set(b"\x80", 7)
    assert bit_is_set(b"\x00\x01", 15)


@pytest.mark.parametrize("index", [-1, 16])
def test_bit_is_set_refuses_indexes_outside_the_list(index: int) -> None:
    with pytest.raises(IndexError):
        bit_is_set(bytes(2), index)


def test_encoding_is_gzip_multibase_base64url_without_padding_and_deterministic() -> None:
    encoded = encode_list(empty_bits(SIZE))
    assert encoded.startswith("uH4sI")  # "u" + base64url of the GZIP magic 1f 8b 08
    assert "=" not in encoded
    assert "+" not in encoded
    assert "/" not in encoded
    assert encode_list(empty_bits(SIZE)) == encoded


def test_empty_bits_is_all_zero_bytes_of_the_size() -> None:
    assert empty_bits(SIZE) == bytes(SIZE // 8)


@pytest.mark.parametrize("size", [0, -8, 12])
def test_empty_bits_refuses_sizes_that_are_not_positive_whole_bytes(size: int) -> None:
    with pytest.raises(ValueError, match="multiple of 8"):
        empty_bits(size)


_GZIP_OF_ZEROS = gzip.compress(bytes(16), mtime=0)

MALFORMED = {
    "empty string": "",
    "no multibase prefix": _b64url(_GZIP_OF_ZEROS),
    "base58btc prefix": "z" + _b64url(_GZIP_OF_ZEROS),
    "standard base64 alphabet": "u" + base64.b64encode(b"\xfb\xff" + _GZIP_OF_ZEROS).decode(),
    "padding": "u" + base64.urlsafe_b64encode(_GZIP_OF_ZEROS).decode(),  # 23 bytes: one "="
    "impossible base64 length": "uH4sIA",  # 5 characters leave 6 dangling bits
    "not base64 at all": "u!!!!",
    "empty gzip": "u",
    "zlib instead of gzip": "u" + _b64url(zlib.compress(bytes(16))),
    "raw bytes instead of gzip": "u" + _b64url(bytes(16)),
    "truncated gzip": "u" + _b64url(_GZIP_OF_ZEROS[:-6]),
    "bad gzip checksum": "u" + _b64url(_GZIP_OF_ZEROS[:-8] + b"\0\0\0\0" + _GZIP_OF_ZEROS[-4:]),
    "data after the gzip member": "u" + _b64url(_GZIP_OF_ZEROS + b"junk"),
    "two gzip members": "u" + _b64url(_GZIP_OF_ZEROS * 2),
}


@pytest.mark.parametrize("encoded", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_encoded_lists_raise_the_typed_error(encoded: str) -> None:
    with pytest.raises(MalformedStatusList):
        decode_list(encoded)


def test_the_malformed_cases_differ_from_a_valid_list_in_one_respect_only() -> None:
    assert len(_GZIP_OF_ZEROS) % 3 != 0  # so the "padding" case really carries padding
    assert decode_list("u" + _b64url(_GZIP_OF_ZEROS)) == bytes(16)


def test_a_gzip_bomb_is_refused_at_the_size_bound() -> None:
    bomb = "u" + _b64url(gzip.compress(bytes(MAX_DECODED_BYTES + 1), mtime=0))
    assert len(bomb) < 100_000  # 16 MiB of zeros is a small download
    with pytest.raises(MalformedStatusList, match="more than"):
        decode_list(bomb)


def test_the_size_bound_can_be_tightened_and_is_inclusive() -> None:
    encoded = encode_list(bytes(1024))
    assert decode_list(encoded, max_bytes=1024) == bytes(1024)
    with pytest.raises(MalformedStatusList):
        decode_list(encoded, max_bytes=1023)


def test_malformed_status_list_is_a_value_error() -> None:
    assert issubclass(MalformedStatusList, ValueError)


@pytest.mark.parametrize(("index", "bit_number"), [(0, 7), (7, 0), (8, 15), (23, 16), (9, 14)])
def test_postgres_bit_number_reverses_the_bits_within_each_byte(
    index: int, bit_number: int
) -> None:
    assert postgres_bit_number(index) == bit_number
