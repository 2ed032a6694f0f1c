"""The ``status_list`` of an IETF Token Status List (draft-ietf-oauth-status-list, section 4).

Each Referenced Token has ``bits`` bits (1, 2, 4 or 8) at position ``idx`` of a byte array:
entry ``i`` takes bits ``i * bits`` to ``i * bits + bits - 1`` counted from the least significant
bit of byte 0 upwards (so with 2 bits, entry 0 is the lowest two bits of the first byte). The
``lst`` claim is the byte array compressed with DEFLATE in the ZLIB format (RFC 1950), in
base64url without padding. Pure functions; the tests hold the draft's own examples.
"""

from __future__ import annotations

import base64
import binascii
import re
import zlib
from collections.abc import Sequence
from typing import Final

from app.base64url import b64url
from app.status_lists.bitstring import inflate_bounded

ALLOWED_BITS: Final = (1, 2, 4, 8)

# The draft recommends the highest compression; a list is compressed again only when one of
# its entries changed, and its examples are compressed at this level (ZLIB header 78 DA).
COMPRESSION_LEVEL: Final = 9

# Decoding stops beyond this many bytes: a list from elsewhere is untrusted input, and a few
# kilobytes of DEFLATE can inflate to gigabytes.
MAX_DECODED_BYTES: Final = 16 * 1024 * 1024

_BASE64URL_NO_PADDING = re.compile(r"[A-Za-z0-9_-]+")


class MalformedTokenStatusList(ValueError):
    """An ``lst`` that is not base64url ZLIB, inflates too far, or a ``bits`` not allowed."""


def _check_bits(bits: int) -> None:
    if bits not in ALLOWED_BITS:
        raise MalformedTokenStatusList(f"bits must be 1, 2, 4 or 8, not {bits}")


def pack(values: Sequence[int], bits: int) -> bytes:
    """The byte array holding ``values``, ``bits`` bits each, the last byte padded with 0."""
    _check_bits(bits)
    per_byte = 8 // bits
    packed = bytearray((len(values) + per_byte - 1) // per_byte)
    for idx, value in enumerate(values):
        if not 0 <= value < (1 << bits):
            raise ValueError(f"status {value} at {idx} does not fit in {bits} bits")
        packed[idx // per_byte] |= value << ((idx % per_byte) * bits)
    return bytes(packed)


def compress(packed: bytes) -> str:
    """The ``lst`` value of a byte array that is packed already."""
    compressed = zlib.compress(packed, COMPRESSION_LEVEL)
    return b64url(compressed)


def encode_status_list(values: Sequence[int], bits: int) -> str:
    """The ``lst`` value holding ``values`` (each below ``2 ** bits``) at their indices."""
    return compress(pack(values, bits))


def decode_status_list(lst: str, bits: int, max_bytes: int = MAX_DECODED_BYTES) -> bytes:
    """The byte array of an ``lst`` (not unpacked: read entries with :func:`status_in`).

    Raises :class:`MalformedTokenStatusList` for anything off the specification.
    """
    _check_bits(bits)
    if not _BASE64URL_NO_PADDING.fullmatch(lst):
        raise MalformedTokenStatusList("lst must be base64url without padding")
    try:
        compressed = base64.urlsafe_b64decode(lst + "=" * (-len(lst) % 4))
    except (binascii.Error, ValueError) as exc:
        raise MalformedTokenStatusList("lst is not valid base64url") from exc
    # The ZLIB format only (RFC 1950), not GZIP or raw DEFLATE.
    return inflate_bounded(
        compressed, wbits=zlib.MAX_WBITS, framing="ZLIB", what="lst", max_bytes=max_bytes,
        error=MalformedTokenStatusList,
    )  # fmt: skip


def status_in(packed: bytes, bits: int, idx: int) -> int:
    """The status at ``idx`` of a byte array; IndexError beyond its end."""
    _check_bits(bits)
    per_byte = 8 // bits
    if not 0 <= idx < len(packed) * per_byte:
        raise IndexError(f"index {idx} outside a list of {len(packed) * per_byte} entries")
    return (packed[idx // per_byte] >> ((idx % per_byte) * bits)) & ((1 << bits) - 1)


def status_at(lst: str, bits: int, idx: int) -> int:
    """The status at ``idx`` of an ``lst``."""
    return status_in(decode_status_list(lst, bits), bits, idx)
