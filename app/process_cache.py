"""What this process read from the database a moment ago, kept for a few seconds.

The hot paths (issuing one credential, verifying one) would otherwise read the same API key,
institution, signing key and DID document from the database on every request. Each of those
changes rarely, and every change made through this process drops its entry at once; another
process (a replica, another ``--workers`` child, ``stapel worker``) keeps its copy for at most
``STAPEL_PROCESS_CACHE_SECONDS``. That is the documented bound on how long a revoked API key, a
rotated signing key or an edited institution may still be seen elsewhere.

Only immutable values are cached (frozen dataclasses, plain dicts nobody mutates, transient
copies of rows), never an ORM instance attached to a session: a rollback would expire it under
every other request holding it.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Final, Generic, TypeVar

from app.config import get_settings

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

DEFAULT_MAX_ENTRIES: Final = 4096

_clock = time.monotonic  # replaced in tests, not the time module the event loop runs on


def _process_cache_seconds() -> float:
    return get_settings().process_cache_seconds


class ProcessCache(Generic[K, V]):
    """An LRU of values that expire after ``seconds()`` (by default
    ``STAPEL_PROCESS_CACHE_SECONDS``; 0 keeps nothing).

    At most ``max_entries`` entries, and, when ``max_weight`` is given, entries whose
    ``weigh(value)`` add up to at most that (a value heavier than it all is not kept).
    """

    def __init__(
        self,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        seconds: Callable[[], float] = _process_cache_seconds,
        *,
        max_weight: int | None = None,
        weigh: Callable[[V], int] = lambda _: 1,
    ) -> None:
        self.seconds = seconds
        self.max_entries = max_entries
        self.max_weight = max_weight
        self._weigh = weigh
        self._entries: OrderedDict[K, tuple[float, int, V]] = OrderedDict()
        self._weight = 0
        _registry.append(self)

    def get(self, key: K) -> V | None:
        """The value while it is fresh."""
        entry = self._entries.get(key)
        if entry is None or _clock() >= entry[0]:
            return None  # one that ran out stays for stale(), until replaced or evicted
        self._entries.move_to_end(key)
        return entry[2]

    def stale(self, key: K) -> V | None:
        """The value even if it ran out: what to hand out while one caller reloads it."""
        entry = self._entries.get(key)
        return entry[2] if entry is not None else None

    def put(self, key: K, value: V, seconds: float | None = None) -> None:
        """Keep ``value`` for ``seconds`` (default ``self.seconds()``)."""
        seconds = self.seconds() if seconds is None else seconds
        weight = self._weigh(value)
        if seconds <= 0 or (self.max_weight is not None and weight > self.max_weight):
            return
        self.forget(key)
        self._entries[key] = (_clock() + seconds, weight, value)
        self._weight += weight
        while len(self._entries) > self.max_entries or (
            self.max_weight is not None and self._weight > self.max_weight
        ):
            self.forget(next(iter(self._entries)))

    def forget(self, key: K) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._weight -= entry[1]

    def clear(self) -> None:
        self._entries.clear()
        self._weight = 0

    def __len__(self) -> int:
        return len(self._entries)


_registry: list[ProcessCache[Any, Any]] = []


def clear_all() -> None:
    """Empty every cache (tests, after truncating the tables the entries came from)."""
    for cache in _registry:
        cache.clear()
