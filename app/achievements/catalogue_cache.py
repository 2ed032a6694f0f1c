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

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import get_settings
from app.process_cache import ProcessCache

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

_generation = 0
_caches: list[CatalogueCache[Any, Any]] = []


def generation() -> int:
    """Read before computing something to cache; pass it to ``CatalogueCache.keep``."""
    return _generation


def changed() -> None:
    """The catalogue changed: drop every entry of every catalogue cache in this process."""
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


class CatalogueCache(ProcessCache[K, V]):
    """A process cache of catalogue results: ``STAPEL_CATALOGUE_CACHE_SECONDS``, emptied by
    ``changed()``, and filled only through ``keep``."""

    def __init__(
        self, max_entries: int, max_weight: int, weigh: Callable[[V], int] = lambda _: 1
    ) -> None:
        super().__init__(max_entries, ttl_seconds, max_weight=max_weight, weigh=weigh)
        _caches.append(self)

    def keep(self, key: K, value: V, since: int) -> None:
        """Keep ``value`` unless the catalogue changed after ``since`` (a ``generation()``)."""
        if since == _generation:
            self.put(key, value)
