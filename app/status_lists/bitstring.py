"""The bits of a W3C Bitstring Status List v1.0 and their ``encodedList`` form.

``encodedList`` is Multibase base64url without padding (prefix ``u``) of the GZIP-compressed
bitstring. Index 0 is the most significant (leftmost) bit of the first byte.

Postgres numbers the bits of a ``bytea`` the other way round within each byte (``get_bit`` and
``set_bit`` count from the least significant bit), so SQL that flips a status bit must go through
``postgres_bit_number``.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import re
import zlib

from app.base64url import b64url

# Level 6 instead of 9: it compresses a sparse list almost as well and several times faster,
# which matters because a list is compressed again each time one of its bits changes.
COMPRESSION_LEVEL = 6

# Decoding stops beyond this many bytes of bits (128 Mi status entries). A list from another
# issuer is untrusted input, and a few kilobytes of GZIP can inflate to gigabytes.
MAX_DECODED_BYTES = 16 * 1024 * 1024

_BASE64URL_NO_PADDING = re.compile(r"[A-Za-z0-9_-]*")


class MalformedStatusList(ValueError):
    """An ``encodedList`` that is not Multibase base64url GZIP, or inflates beyond the limit."""


def empty_bits(size_bits: int) -> bytes:
    """A list of ``size_bits`` entries, none set."""
    if size_bits <= 0 or size_bits % 8:
        raise ValueError(f"a status list holds a positive multiple of 8 bits, not {size_bits}")
    return bytes(size_bits // 8)


def encode_list(bits: bytes) -> str:
    # mtime=0: the same bits always give the same encodedList (and so the same credential body).
    compressed = gzip.compress(bits, compresslevel=COMPRESSION_LEVEL, mtime=0)
    return "u" + b64url(compressed)


def decode_list(encoded: str, max_bytes: int = MAX_DECODED_BYTES) -> bytes:
    """The bits of an ``encodedList``; raises ``MalformedStatusList`` on anything off-spec."""
    return _gunzip(_base64url(_multibase_body(encoded)), max_bytes)


def _multibase_body(encoded: str) -> str:
    if not encoded.startswith("u"):
        raise MalformedStatusList("encodedList must be Multibase base64url (prefix 'u')")
    return encoded[1:]


def _base64url(body: str) -> bytes:
    # The standard library silently skips characters outside the alphabet; refuse them instead,
    # padding included, since the spec says base64url without padding.
    if not _BASE64URL_NO_PADDING.fullmatch(body):
        raise MalformedStatusList("encodedList has characters outside base64url")
    try:
        return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError) as exc:
        raise MalformedStatusList("encodedList is not valid base64url") from exc


def _gunzip(compressed: bytes, max_bytes: int) -> bytes:
    # GZIP framing only, not zlib/raw.
    return inflate_bounded(
        compressed, wbits=16 + zlib.MAX_WBITS, framing="GZIP", what="encodedList",
        max_bytes=max_bytes, error=MalformedStatusList,
    )  # fmt: skip


def inflate_bounded(
    compressed: bytes,
    *,
    wbits: int,
    framing: str,
    what: str,
    max_bytes: int,
    error: type[ValueError],
) -> bytes:
    """Inflate one whole ``framing`` stream of untrusted data, to at most ``max_bytes``.

    Raises ``error`` (naming ``what``) for a stream that is not ``framing``, is truncated, has
    data after it, or inflates further.
    """
    inflater = zlib.decompressobj(wbits=wbits)
    try:
        # Ask for one byte more than allowed: getting it proves the list is too large without
        # ever inflating the rest.
        inflated = inflater.decompress(compressed, max_bytes + 1)
    except zlib.error as exc:
        raise error(f"{what} is not {framing}") from exc
    if len(inflated) > max_bytes:
        raise error(f"{what} inflates to more than {max_bytes} bytes")
    if not inflater.eof:
        raise error(f"{what} is truncated {framing}")
    if inflater.unused_data:
        raise error(f"{what} has data after the {framing} stream")
    return inflated


def bit_is_set(bits: bytes, index: int) -> bool:
    """Whether entry ``index`` is set; index 0 is the most significant bit of the first byte."""
    if not 0 <= index < len(bits) * 8:
        raise IndexError(f"status index {index} outside a list of {len(bits) * 8}")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def postgres_bit_number(index: int) -> int:
    """The ``n`` for Postgres ``get_bit(bits, n)``/``set_bit(bits, n, v)`` of status ``index``.

    Postgres counts from the least significant bit of each byte; the spec from the most.
    """
    if index < 0:
        raise IndexError(f"status index {index} is negative")
    return (index // 8) * 8 + (7 - index % 8)
