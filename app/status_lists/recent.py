"""Signed status lists this process served a moment ago, so that the busiest public endpoint
does not need a database transaction per fetch.

A verifier may cache a list for its ``ttl`` anyway (``Cache-Control: max-age``); holding it here
for a few seconds of that (``STAPEL_STATUS_LIST_PROCESS_CACHE_SECONDS``) changes nothing a
verifier can rely on. A status change made through this process drops its entry at once;
another process's copy runs out after those few seconds.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from typing import TYPE_CHECKING, Final

from app.config import get_settings

if TYPE_CHECKING:  # the service imports this module
    from app.status_lists.service import Publication

MAX_ENTRIES: Final = 4096

_Key = tuple[uuid.UUID, str]
_recent: OrderedDict[_Key, tuple[float, Publication]] = OrderedDict()


def lookup(list_id: uuid.UUID, purpose: str) -> Publication | None:
    entry = _recent.get((list_id, purpose))
    if entry is None:
        return None
    expires, publication = entry
    if time.monotonic() >= expires:
        _recent.pop((list_id, purpose), None)
        return None
    return publication


def remember(list_id: uuid.UUID, purpose: str, publication: Publication) -> None:
    seconds = min(get_settings().status_list_process_cache_seconds, publication.ttl_seconds)
    if seconds <= 0:
        return
    _recent[(list_id, purpose)] = (time.monotonic() + seconds, publication)
    _recent.move_to_end((list_id, purpose))
    while len(_recent) > MAX_ENTRIES:
        _recent.popitem(last=False)


def forget(list_id: uuid.UUID) -> None:
    for purpose in ("revocation", "suspension"):
        _recent.pop((list_id, purpose), None)
