"""Signed status lists this process served a moment ago, so that the busiest public endpoint
does not need a database transaction per fetch.

A verifier may cache a list for its ``ttl`` anyway (``Cache-Control: max-age``); holding it here
for a few seconds of that (``STAPEL_STATUS_LIST_PROCESS_CACHE_SECONDS``) changes nothing a
verifier can rely on. A status change made through this process drops its entry at once;
another process's copy runs out after those few seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Final

from app.config import get_settings

if TYPE_CHECKING:  # the service imports this module
    from app.status_lists.service import Publication

MAX_ENTRIES: Final = 4096

_Key = tuple[uuid.UUID, str]
_clock = time.monotonic  # replaced in tests, not the time module the event loop runs on
_recent: OrderedDict[_Key, tuple[float, Publication]] = OrderedDict()


def lookup(list_id: uuid.UUID, purpose: str) -> Publication | None:
    """The list if this process read or signed it less than the configured seconds ago."""
    entry = _recent.get((list_id, purpose))
    if entry is None or _clock() >= entry[0]:
        return None  # one that ran out stays, for served() to hand out while it reloads
    return entry[1]


_loading: dict[_Key, asyncio.Future[Publication]] = {}


async def served(
    list_id: uuid.UUID, purpose: str, load: Callable[[], Awaitable[Publication]]
) -> Publication:
    """The list as this process serves it.

    From memory while it is fresh. When it has run out, one request loads it again (``load``)
    and the requests arriving meanwhile get the one that ran out — or, when there is none,
    wait for that load — instead of every one of them asking the database at the same moment
    (at 64 concurrent fetches that stampede was the p99). So another process's change shows
    here within the configured seconds plus one load.
    """
    key = (list_id, purpose)
    fresh = lookup(list_id, purpose)
    if fresh is not None:
        return fresh
    running = _loading.get(key)
    if running is not None:
        previous = _recent.get(key)
        if previous is not None:
            return previous[1]
        with contextlib.suppress(Exception, asyncio.CancelledError):
            return await asyncio.shield(running)
        return await load()  # the load failed or was cancelled: try for this request
    _loading[key] = future = asyncio.get_running_loop().create_future()
    try:
        published = await load()
    except BaseException:
        future.cancel()
        raise
    finally:
        if _loading.get(key) is future:
            del _loading[key]
    remember(list_id, purpose, published)
    future.set_result(published)
    return published


def remember(list_id: uuid.UUID, purpose: str, publication: Publication) -> None:
    seconds = min(get_settings().status_list_process_cache_seconds, publication.ttl_seconds)
    if seconds <= 0:
        return
    _recent[(list_id, purpose)] = (_clock() + seconds, publication)
    _recent.move_to_end((list_id, purpose))
    while len(_recent) > MAX_ENTRIES:
        _recent.popitem(last=False)


def forget(list_id: uuid.UUID) -> None:
    for purpose in ("revocation", "suspension"):
        _recent.pop((list_id, purpose), None)
