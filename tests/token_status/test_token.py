"""The status_list encoding, against the examples of draft-ietf-oauth-status-list.

The vectors are copied from draft-ietf-oauth-status-list, section 4.1 ("Status List in JSON
Format", the examples with 1 and 2 bits per status): the statuses, the byte array they pack to,
and the ``lst`` the draft gives for it.
"""

from __future__ import annotations

import base64
import zlib

import pytest

from app.token_status.token import (
    MalformedTokenStatusList,
    decode_status_list,
    encode_status_list,
    pack,
    status_at,
    status_in,
)

# draft-ietf-oauth-status-list, section 4.1, the example with bits = 1.
ONE_BIT_STATUSES = [1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1]
ONE_BIT_BYTES = bytes([0xB9, 0xA3])
ONE_BIT_LST = "eNrbuRgAAhcBXQ"

# draft-ietf-oauth-status-list, section 4.1, the example with bits = 2.
TWO_BIT_STATUSES = [1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3]
TWO_BIT_BYTES = bytes([0xC9, 0x44, 0xF9])
TWO_BIT_LST = "eNo76fITAAPfAgc"

VECTORS = [
    (1, ONE_BIT_STATUSES, ONE_BIT_BYTES, ONE_BIT_LST),
    (2, TWO_BIT_STATUSES, TWO_BIT_BYTES, TWO_BIT_LST),
]


@pytest.mark.parametrize(("bits", "statuses", "packed", "lst"), VECTORS)
def test_the_drafts_examples_encode_to_its_lst(
    bits: int, statuses: list[int], packed: bytes, lst: str
) -> None:
    assert pack(statuses, bits) == packed
    assert encode_status_list(statuses, bits) == lst


@pytest.mark.parametrize(("bits", "statuses", "packed", "lst"), VECTORS)
def test_the_drafts_lst_decodes_to_its_statuses(
    bits: int, statuses: list[int], packed: bytes, lst: str
) -> None:
    assert decode_status_list(lst, bits) == packed
    assert [status_at(lst, bits, idx) for idx in range(len(statuses))] == statuses


def test_four_and_eight_bits_round_trip() -> None:
    for bits in (4, 8):
        statuses = [(7 * i + 3) % (1 << bits) for i in range(40)]
        lst = encode_status_list(statuses, bits)
        packed = decode_status_list(lst, bits)
        assert [status_in(packed, bits, i) for i in range(40)] == statuses


def test_a_status_wider_than_its_bits_or_bits_off_the_spec_are_refused() -> None:
    with pytest.raises(ValueError, match="does not fit"):
        encode_status_list([0, 4], 2)
    with pytest.raises(MalformedTokenStatusList):
        encode_status_list([0], 3)
    with pytest.raises(MalformedTokenStatusList):
        decode_status_list(ONE_BIT_LST, 16)


def test_an_index_beyond_the_list_is_an_index_error() -> None:
    with pytest.raises(IndexError):
        status_at(TWO_BIT_LST, 2, 12)


@pytest.mark.parametrize(
    "lst",
    [
        "eNrbuRgAAhcBXQ==",  # padding
        "eNrbuRgAAhcB+Q",  # outside base64url
        base64.urlsafe_b64encode(b"not zlib at all").rstrip(b"=").decode(),
        base64.urlsafe_b64encode(zlib.compress(b"\x00" * 10)[:-3]).rstrip(b"=").decode(),
    ],
)
def test_malformed_lst_values_are_refused(lst: str) -> None:
    with pytest.raises(MalformedTokenStatusList):
        decode_status_list(lst, 1)


def test_a_list_inflating_beyond_the_bound_is_refused_without_inflating_it_all() -> None:
    bomb = base64.urlsafe_b64encode(zlib.compress(bytes(1 << 20), 9)).rstrip(b"=").decode()
    with pytest.raises(MalformedTokenStatusList, match="more than 1024 bytes"):
        decode_status_list(bomb, 2, max_bytes=1024)
