"""Status-list indexes: a keyed pseudo-random permutation of a counter.

Slot ``n`` of a list maps to index ``permute(n)``. A permutation never repeats, so an index is
never handed out twice; being keyed and pseudo-random, the index reveals nothing about when a
credential was issued or which credentials were issued together. It is a balanced Feistel
network over the smallest even-width power of two that covers the list, with cycle-walking to
stay inside the list.
"""

from __future__ import annotations

import hashlib

_ROUNDS = 4


def _half_width(size: int) -> int:
    bits = max(2, (size - 1).bit_length())
    return (bits + 1) // 2


def _round(key: bytes, round_number: int, value: int, width: int) -> int:
    digest = hashlib.blake2b(
        value.to_bytes(8, "big") + bytes([round_number]), key=key, digest_size=8
    ).digest()
    return int.from_bytes(digest, "big") & ((1 << width) - 1)


def _feistel(value: int, key: bytes, width: int) -> int:
    mask = (1 << width) - 1
    left, right = value >> width, value & mask
    for round_number in range(_ROUNDS):
        left, right = right, left ^ _round(key, round_number, right, width)
    return (left << width) | right


def permute(slot: int, key: bytes, size: int) -> int:
    """The index of ``slot`` (0 <= slot < size) in a list of ``size`` entries."""
    if not 0 <= slot < size:
        raise ValueError(f"slot {slot} outside 0..{size - 1}")
    width = _half_width(size)
    value = _feistel(slot, key, width)
    while value >= size:  # cycle-walk back into the list; terminates because it is a bijection
        value = _feistel(value, key, width)
    return value
