"""A second, deliberately naive reading of status lists, sharing no code with ``app``.

It turns the whole bitstring into one big integer (index 0 the highest bit), so it does not even
share the per-byte arithmetic of ``app.status_lists.bitstring``.
"""

from __future__ import annotations

import base64
import json
import zlib
from typing import Any


def encoded_list_bits(encoded: str) -> bytes:
    assert encoded[0] == "u", "Multibase base64url"
    body = encoded[1:]
    assert "=" not in body, "no padding"
    compressed = base64.b64decode(body + "=" * (-len(body) % 4), altchars=b"-_", validate=True)
    assert compressed[:2] == b"\x1f\x8b", "GZIP magic"
    return zlib.decompress(compressed, wbits=31)


def set_indexes(bits: bytes) -> set[int]:
    width = len(bits) * 8
    number = int.from_bytes(bits, "big")
    return {index for index in range(width) if number >> (width - 1 - index) & 1}


def bits_with(size_bits: int, indexes: set[int]) -> bytes:
    number = sum(1 << (size_bits - 1 - index) for index in indexes)
    return number.to_bytes(size_bits // 8, "big")


def jwt_part(token: str, part: int) -> dict[str, Any]:
    segment = token.split(".")[part]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    )
    return decoded
