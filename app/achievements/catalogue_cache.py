"""Short-lived per-process caches of the public catalogue, and how they are invalidated.

The catalogue is public and read-mostly, and portals ask for the same first page and the same
facets over and over. Entries live at most ``STAPEL_CATALOGUE_CACHE_SECONDS`` (0 turns caching
off). Publishing, archiving or editing an achievement through this process invalidates every
entry at once, and again when that transaction commits; other processes see the change when
their entries run out. Changes to institutions and organisational units (names, recognition)
are not tracked: they show within the same few seconds.

An entry is stored only if nothing changed while it was computed (the *generation* is still the
one read before), so a reader that started before a change never caches what it saw.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import get_settings

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

_generation = 0
_clock = time.monotonic  # tests move it forward instead of sleeping
_caches: list[TtlCache[Any, Any]] = []


def generation() -> int:
    """Read before computing something to cache; pass it to ``TtlCache.put``."""
    return _generation


def changed() -> None:
    """The catalogue changed: drop every entry of every cache in this process."""
    global _generation  # noqa: PLW0603 - one counter per process is the point
    _generation += 1
    for cache in _caches:
        cache.clear()


def changed_in(session: AsyncSession) -> None:
    """An achievement's public face changes in ``session``'s transaction.

    Invalidate now, and once more after the commit: a request that read the old rows in
    between must not have its result kept.
    """
    changed()
    event.listen(session.sync_session, "after_commit", _after_commit, once=True)


def _after_commit(_session: Any) -> None:
    changed()


def ttl_seconds() -> float:
    return float(get_settings().catalogue_cache_seconds)


class TtlCache(Generic[K, V]):
    """An LRU of at most ``max_entries`` entries weighing at most ``max_weight`` in all."""

    def __init__(
        self, max_entries: int, max_weight: int, weigh: Callable[[V], int] = lambda _: 1
    ) -> None:
        self.max_entries, self.max_weight, self._weigh = max_entries, max_weight, weigh
        self._entries: OrderedDict[K, tuple[float, int, V]] = OrderedDict()
        self._weight = 0
        _caches.append(self)

    def get(self, key: K) -> V | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, _, value = entry
        if _clock() >= expires:
            return None  # kept for stale(), until replaced, evicted or the catalogue changes
        self._entries.move_to_end(key)
        return value

    def stale(self, key: K) -> V | None:
        """The entry even if it ran out: what to serve while one request refreshes it."""
        entry = self._entries.get(key)
        return entry[2] if entry is not None else None

    def put(self, key: K, value: V, since: int) -> None:
        """Keep ``value`` unless the catalogue changed after ``since`` (a ``generation()``)."""
        seconds, weight = ttl_seconds(), self._weigh(value)
        if seconds <= 0 or since != _generation or weight > self.max_weight:
            return
        self._drop(key)
        self._entries[key] = (_clock() + seconds, weight, value)
        self._weight += weight
        while len(self._entries) > self.max_entries or self._weight > self.max_weight:
            self._drop(next(iter(self._entries)))

    def clear(self) -> None:
        self._entries.clear()
        self._weight = 0

    def __len__(self) -> int:
        return len(self._entries)

    def _drop(self, key: K) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._weight -= entry[1]
