"""Signed status lists this process served a moment ago, so that the busiest public endpoint
does not need a database transaction per fetch.

A verifier may cache a list for its ``ttl`` anyway (``Cache-Control: max-age``); holding it here
for a few seconds of that (``STAPEL_STATUS_LIST_PROCESS_CACHE_SECONDS``) changes nothing a
verifier can rely on. A status change made through this process drops its entry at once;
another process's copy runs out after those few seconds.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Final

from app.config import get_settings
from app.process_cache import RENEW_AHEAD, ProcessCache

if TYPE_CHECKING:  # the service imports this module
    from app.status_lists.service import Publication

MAX_ENTRIES: Final = 4096

_Key = tuple[uuid.UUID, str]


def _seconds() -> float:
    return get_settings().status_list_process_cache_seconds


_recent: ProcessCache[_Key, Publication] = ProcessCache(
    MAX_ENTRIES, _seconds, renew_ahead=RENEW_AHEAD
)


def lookup(list_id: uuid.UUID, purpose: str) -> Publication | None:
    """The list if this process read or signed it less than the configured seconds ago."""
    return _recent.get((list_id, purpose))


async def served(
    list_id: uuid.UUID,
    purpose: str,
    load: Callable[[], Awaitable[Publication]],
    renew: Callable[[], Awaitable[Publication]] | None = None,
) -> Publication:
    """The list as this process serves it.

    From memory while it is fresh. When it has run out, one request loads it again (``load``)
    and the requests arriving meanwhile get the one that ran out — or, when there is none,
    wait for that load — instead of every one of them asking the database at the same moment
    (at 64 concurrent fetches that stampede was the p99). So another process's change shows
    here within the configured seconds plus one load.
    """
    return await _recent.served((list_id, purpose), load, _kept_seconds, renew=renew)


def _kept_seconds(publication: Publication) -> float:
    # Never longer than the list says a verifier may keep it.
    return min(_seconds(), publication.ttl_seconds)


def remember(list_id: uuid.UUID, purpose: str, publication: Publication) -> None:
    _recent.put((list_id, purpose), publication, _kept_seconds(publication))


def forget(list_id: uuid.UUID, purposes: tuple[str, ...] = ("revocation", "suspension")) -> None:
    """Drop the list's publications (a Token Status List is kept under the purpose "token")."""
    for purpose in purposes:
        _recent.forget((list_id, purpose))
