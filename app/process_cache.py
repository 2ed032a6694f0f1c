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

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from functools import partial
from typing import Any, Final, Generic, NamedTuple, TypeVar

from app.config import get_settings

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

DEFAULT_MAX_ENTRIES: Final = 4096
# The last share of an entry's time in which ``served`` renews it, for the caches in steady use.
RENEW_AHEAD: Final = 0.25

logger = logging.getLogger(__name__)

_clock = time.monotonic  # replaced in tests, not the time module the event loop runs on


def _process_cache_seconds() -> float:
    return get_settings().process_cache_seconds


class _Entry(NamedTuple, Generic[V]):
    expires: float
    renew_from: float  # from then on, served() has one caller load it again ahead of expiry
    weight: int
    value: V


class ProcessCache(Generic[K, V]):
    """An LRU of values that expire after ``seconds()`` (by default
    ``STAPEL_PROCESS_CACHE_SECONDS``; 0 keeps nothing).

    At most ``max_entries`` entries, and, when ``max_weight`` is given, entries whose
    ``weigh(value)`` add up to at most that (a value heavier than it all is not kept).
    With ``renew_ahead`` (a share of each entry's time), :meth:`served` loads an entry again
    during the last of its time, before it runs out; with ``serve_stale=False`` it never hands
    out an entry that ran out, not even while another caller loads it again. A renewal that
    fails with one of the ``gone`` errors has learnt that what the entry holds no longer exists:
    the entry is dropped at once, and nothing is logged.
    """

    def __init__(
        self,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        seconds: Callable[[], float] = _process_cache_seconds,
        *,
        max_weight: int | None = None,
        weigh: Callable[[V], int] = lambda _: 1,
        renew_ahead: float = 0.0,
        serve_stale: bool = True,
        gone: tuple[type[Exception], ...] = (),
    ) -> None:
        self.seconds = seconds
        self.max_entries = max_entries
        self.max_weight = max_weight
        self.renew_ahead = renew_ahead
        self.serve_stale = serve_stale
        self.gone = gone
        self._weigh = weigh
        self._entries: OrderedDict[K, _Entry[V]] = OrderedDict()
        self._weight = 0
        self._loading: dict[K, asyncio.Future[V]] = {}
        self._renewing: dict[K, asyncio.Task[None]] = {}
        _registry.append(self)

    def get(self, key: K) -> V | None:
        """The value while it is fresh."""
        entry = self._entries.get(key)
        if entry is None or _clock() >= entry.expires:
            return None  # one that ran out stays for stale(), until replaced or evicted
        self._entries.move_to_end(key)
        return entry.value

    def stale(self, key: K) -> V | None:
        """The value even if it ran out: what to hand out while one caller reloads it."""
        entry = self._entries.get(key)
        return entry.value if entry is not None else None

    async def served(
        self,
        key: K,
        load: Callable[[], Awaitable[V]],
        seconds: Callable[[V], float | None] = lambda _: None,
        *,
        renew: Callable[[], Awaitable[V]] | None = None,
    ) -> V:
        """The value, loaded (``load``) by one caller at a time, and kept for ``seconds(value)``
        (None: the cache's own time; 0 or less: not kept).

        While a load runs, the other callers get the value kept, even one that ran out (unless
        ``serve_stale`` is off), and wait for that load only when there is none: at 64
        concurrent requests, every one of them reading the database at the moment an entry ran
        out queued them all behind the pool, and that was the p99. During the last
        ``renew_ahead`` of an entry's time the first caller loads it again, so that an entry in
        steady use never runs out at all. With the cache off (0 seconds) every caller loads
        for itself: nothing read for one request is handed to another.

        ``renew`` is a load that needs nothing of the caller (it reads in a session of its own).
        Given one, an entry in its last ``renew_ahead`` is renewed in the background, and the
        caller that finds it so is served the entry, still fresh, like every other: at 64
        concurrent requests a load spans tens of turns of the busy event loop, and its caller
        waited ~1 s for it in the in-process driver, the p99.9 of verification. An entry that
        ran out is loaded by its caller, as without ``renew``: nothing is served past its time
        but while a load runs.
        """
        if self.seconds() <= 0:
            return await load()
        entry = self._entries.get(key)
        now = _clock()
        if entry is not None and now < entry.renew_from:
            self._entries.move_to_end(key)
            return entry.value
        running = self._loading.get(key)
        if running is None and renew is not None and entry is not None and now < entry.expires:
            running = self._renew_in_background(key, renew, seconds)  # served fresh below
        if running is not None:
            if entry is not None and (self.serve_stale or now < entry.expires):
                return entry.value
            try:
                return await asyncio.shield(running)
            except asyncio.CancelledError:
                if not running.cancelled():
                    raise  # this caller was cancelled, not the load
            except Exception:  # noqa: S110 - the load failed for its caller; try for this one
                pass
            return await load()
        self._loading[key] = future = asyncio.get_running_loop().create_future()
        return await self._loaded(key, load, seconds, future)

    def _renew_in_background(
        self,
        key: K,
        renew: Callable[[], Awaitable[V]],
        seconds: Callable[[V], float | None],
    ) -> asyncio.Future[V]:
        future = self._loading[key] = asyncio.get_running_loop().create_future()
        task = self._renewing[key] = asyncio.create_task(self._renewed(key, renew, seconds, future))
        task.add_done_callback(partial(self._renewal_ended, key))
        return future

    def _renewal_ended(self, key: K, task: asyncio.Task[None]) -> None:
        if self._renewing.get(key) is task:  # not a later renewal of the same key
            del self._renewing[key]

    async def _renewed(
        self,
        key: K,
        renew: Callable[[], Awaitable[V]],
        seconds: Callable[[V], float | None],
        future: asyncio.Future[V],
    ) -> None:
        try:
            await self._loaded(key, renew, seconds, future)
        except self.gone:
            self._drop(key)  # the next caller loads it, and learns the same
        except Exception as error:  # the entry runs out as it would have; a caller loads it then
            # The type only: a message may carry a database's words about a row.
            logger.warning("a cache entry could not be renewed (%s)", type(error).__name__)

    async def _loaded(
        self,
        key: K,
        load: Callable[[], Awaitable[V]],
        seconds: Callable[[V], float | None],
        future: asyncio.Future[V],
    ) -> V:
        """``load``'s value, kept, and handed to the callers waiting on ``future``."""
        try:
            value = await load()
        except BaseException:
            future.cancel()
            raise
        finally:
            if self._loading.get(key) is future:
                del self._loading[key]
        self.put(key, value, seconds(value))
        future.set_result(value)
        return value

    def put(self, key: K, value: V, seconds: float | None = None) -> None:
        """Keep ``value`` for ``seconds`` (default ``self.seconds()``)."""
        seconds = self.seconds() if seconds is None else seconds
        weight = self._weigh(value)
        if seconds <= 0 or (self.max_weight is not None and weight > self.max_weight):
            self._drop(key)  # what was kept is older than what the caller just read
            return
        self._drop(key)
        now = _clock()
        renew_from = now + seconds * (1 - self.renew_ahead)
        self._entries[key] = _Entry(now + seconds, renew_from, weight, value)
        self._weight += weight
        while len(self._entries) > self.max_entries or (
            self.max_weight is not None and self._weight > self.max_weight
        ):
            self._drop(next(iter(self._entries)))

    def forget(self, key: K) -> None:
        """Drop the entry, and its renewal if one is under way: a change made through this
        process forgets what it changed, and a renewal may have read it before the change."""
        self._drop(key)
        renewal = self._renewing.get(key)
        if renewal is not None:
            renewal.cancel()

    def _drop(self, key: K) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._weight -= entry.weight

    def clear(self) -> None:
        self._entries.clear()
        self._weight = 0
        self._loading.clear()
        for task in self._renewing.values():
            task.cancel()  # it would keep what it read before the clearing

    async def renewals_ended(self) -> None:
        """Wait for the renewals under way to end, as they do (tests: a renewal's effect)."""
        await asyncio.gather(*self._renewing.values(), return_exceptions=True)

    async def finish_renewals(self) -> None:
        """Cancel the renewals under way and wait until they are gone (their sessions closed)."""
        tasks = list(self._renewing.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def __len__(self) -> int:
        return len(self._entries)


_registry: list[ProcessCache[Any, Any]] = []


def clear_all() -> None:
    """Empty every cache (tests, after truncating the tables the entries came from)."""
    for cache in _registry:
        cache.clear()


async def finish_all_renewals() -> None:
    """Before the database engine is disposed: no renewal is left holding a session."""
    for cache in _registry:
        await cache.finish_renewals()
