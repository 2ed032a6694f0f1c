"""Status-list indexes: a keyed pseudo-random permutation of a per-list counter.

Slot ``n`` of a list (the ``n``-th credential to get a place in it) gets index ``permute(n)``.

* A permutation is a bijection, so as long as the counter only grows no index is handed out
  twice, without remembering which ones are taken.
* Being keyed (each list has its own random key) and pseudo-random, an index reveals nothing
  about when a credential was issued or which credentials were issued together, as the spec's
  privacy section asks.

The permutation is a balanced Feistel network over the smallest power of two with an even
number of bits that covers the list, with cycle-walking to stay inside the list. Each round
function is BLAKE2b keyed with the list key; since a half is at most 16 bits wide, the round
functions are tabulated once per list, which makes a batch of 10,000 indexes cheap.

Never change the construction (rounds, hash input, widths) for existing lists: their counters
would then map onto indexes that were already handed out. A new construction needs a new
column saying which one a list uses.
"""

from __future__ import annotations

import hashlib
from array import array
from functools import lru_cache

# Four rounds make a strong pseudo-random permutation in the Luby-Rackoff sense; two more are
# free here (the rounds are table look-ups) and widen the margin for the small halves we use.
ROUNDS = 6
# `status_lists.size` is an INTEGER, so a list has fewer than 2**31 entries and a half is at
# most 16 bits: the tables below hold 16-bit values.
_MAX_HALF_WIDTH = 16


class Permutation:
    """A keyed bijection of ``range(size)`` onto itself."""

    __slots__ = ("_mask", "_tables", "_width", "size")

    def __init__(self, key: bytes, size: int) -> None:
        if size < 1:
            raise ValueError(f"a permutation needs a size of at least 1, not {size}")
        self.size = size
        self._width = half_width(size)
        if self._width > _MAX_HALF_WIDTH:
            raise ValueError(f"size {size} is larger than a status list can be")
        self._mask = (1 << self._width) - 1
        self._tables = [_round_table(key, size, r, self._width) for r in range(ROUNDS)]

    def __call__(self, slot: int) -> int:
        if not 0 <= slot < self.size:
            raise ValueError(f"slot {slot} outside 0..{self.size - 1}")
        value = self._feistel(slot)
        # Cycle-walking: the walk ends because the cycle through `slot` contains `slot` itself.
        # The domain is less than four times the size, so the walk is short on average.
        while value >= self.size:
            value = self._feistel(value)
        return value

    def _feistel(self, value: int) -> int:
        left, right = value >> self._width, value & self._mask
        for table in self._tables:
            left, right = right, left ^ table[right]
        return (left << self._width) | right


def half_width(size: int) -> int:
    """Bits in one Feistel half: the domain is ``2 ** (2 * half_width) >= size``."""
    return max(1, ((size - 1).bit_length() + 1) // 2)


def _round_table(key: bytes, size: int, round_number: int, width: int) -> array[int]:
    """The round function for every possible half, as 16-bit values."""
    prefix = size.to_bytes(8, "big") + round_number.to_bytes(1, "big")
    mask = (1 << width) - 1
    return array(
        "H",
        (
            int.from_bytes(
                hashlib.blake2b(prefix + half.to_bytes(2, "big"), key=key, digest_size=4).digest(),
                "big",
            )
            & mask
            for half in range(1 << width)
        ),
    )


@lru_cache(maxsize=128)
def permutation(key: bytes, size: int) -> Permutation:
    """The permutation of one list, cached: a list keeps its key and size for its lifetime."""
    return Permutation(key, size)


def permute(slot: int, key: bytes, size: int) -> int:
    """The status index of ``slot`` (``0 <= slot < size``) in a list of ``size`` entries."""
    return permutation(key, size)(slot)
