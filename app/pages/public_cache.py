"""Public credential pages this process rendered a moment ago, served again while still true.

A public page is the signed document, which never changes, under a status banner from the
verifier's report on the stored token, which can: with the credential's status lists, with the
issuer's keys and standing, and with the clock at the credential's start and end of validity.
Rendering it (a database read, a verification, the template) cost ~3 ms of CPU, several times
the request around it. So a rendered page is served again only

- while this process serves the same versions of the credential's status lists as when the
  page was rendered — the page is exactly as fresh as the lists (``app/status_lists/recent.py``):
  a revocation, suspension or reinstatement through this process shows at once, one made
  elsewhere within ``STAPEL_STATUS_LIST_PROCESS_CACHE_SECONDS``;
- for no longer than that, nor than ``STAPEL_PROCESS_CACHE_SECONDS``, the bound on how old the
  keys and issuers the verifier reads may be;
- never across a moment at which the credential becomes valid or expires;
- and not after its learner stopped sharing it through this process (elsewhere: within the same
  seconds).

A page in use is rendered again ahead of its end, by one request during the last quarter of its
time, while the others are still served the kept page: rendering it on the request that found
it run out made every visitor of that page, and those behind them on the event loop, wait for a
database read, a verification and a render at once. A cold page's reads run each on their own
(``create_read_sessionmaker``): one round trip for the credential instead of three. A renewal
reads and verifies the credential again and runs the template only when what the page shows
has changed (``PageDraft.facts``); otherwise it keeps the HTML it has.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Final

from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import get_settings
from app.credentials.models import Credential
from app.db.session import session_if_used
from app.errors import NotFound
from app.pages.i18n import LANGUAGES
from app.process_cache import RENEW_AHEAD, ProcessCache
from app.sharing import service as sharing
from app.status_lists import recent
from app.status_lists import service as status_lists
from app.status_lists.service import StatusSlot, purposes_of
from app.verification.profiles import parse_datetime

MAX_PAGES: Final = 4096
# A page is ~15 KB (most of it the QR code): at most ~1,000 of them in memory.
MAX_BYTES: Final = 16 * 1024 * 1024
# The document's fields the verifier's validity check reads.
_VALIDITY_FIELDS: Final = ("validFrom", "validUntil", "issuanceDate", "expirationDate")
# Renewals that come due within this long of the first read their credentials with it.
_GATHER_SECONDS: Final = 0.02
# Set by the response itself; everything else is the page's own headers.
_DERIVED_HEADERS: Final = frozenset({"content-length", "content-type"})

# (list id, purpose, ETag) of each status list of the credential, as this process serves it.
_ListVersions = tuple[tuple[uuid.UUID, str, str], ...]


@dataclass(frozen=True, slots=True)
class PageDraft:
    """A credential read and verified for its page, before the template.

    ``facts`` is what the page shows that can differ from one render to the next, compared
    with ``==``; ``html`` renders the page. Equal facts render the same page, so a page renewed
    with the facts it was rendered with keeps its HTML instead of rendering it again.
    """

    facts: object
    html: Callable[[], HTMLResponse]


DraftPage = Callable[[AsyncSession, Credential], Awaitable[PageDraft]]


@dataclass(frozen=True, slots=True)
class _Page:
    body: bytes
    headers: tuple[tuple[str, str], ...]
    facts: object
    lists: _ListVersions
    seconds: float  # how long it may be kept; 0: not at all


def _seconds() -> float:
    settings = get_settings()
    return min(settings.process_cache_seconds, settings.status_list_process_cache_seconds)


# Renewed during the last quarter of its time (see public_page).
_pages: ProcessCache[tuple[str, str], _Page] = ProcessCache(
    MAX_PAGES,
    _seconds,
    max_weight=MAX_BYTES,
    weigh=lambda page: len(page.body),
    renew_ahead=RENEW_AHEAD,
    serve_stale=False,  # never past its time, which may end where the credential's validity turns
    gone=(NotFound,),  # unpublished in another process: dropped when a renewal finds it so
)
# Credential id → public id, to drop a page whose learner stops sharing it.
_addresses: ProcessCache[uuid.UUID, str] = ProcessCache(MAX_PAGES, _seconds)


class _RenewalReads:
    """The credentials of the pages renewed at about the same moment, read in one statement.

    Reading a page's credential was half of a renewal's CPU, and most of that the statement's
    own cost, not the row's: read five at a time, a credential cost about a third as much. The
    first renewal waits ``_GATHER_SECONDS`` (its page is fresh for most of a second yet) and
    reads for every renewal that came due meanwhile. A read that fails or is cancelled fails
    every renewal of its batch, whose pages then run out as they would have.
    """

    def __init__(self) -> None:
        self._waiting: dict[str, asyncio.Future[Credential | None]] = {}

    async def credential(
        self, sessionmaker: async_sessionmaker[AsyncSession], public_id: str
    ) -> Credential:
        future = self._waiting.get(public_id)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._waiting[public_id] = future
            if len(self._waiting) == 1:
                await self._read_for_all(sessionmaker)
        return sharing.shared(await future)

    async def _read_for_all(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        """Settle every renewal's future, the first's own included, whatever happens."""
        waiting = self._waiting
        try:
            await asyncio.sleep(_GATHER_SECONDS)
            self._waiting = {}  # from here on, a renewal due starts the next read
            async with session_if_used(sessionmaker) as session:
                found = await sharing.public_credentials(session, list(waiting))
        except (Exception, asyncio.CancelledError) as error:
            if self._waiting is waiting:
                self._waiting = {}
            for future in waiting.values():
                if future.done():
                    continue
                if isinstance(error, asyncio.CancelledError):
                    future.cancel()  # the first renewal's own future too: it ends cancelled
                else:
                    future.set_exception(error)
            return
        for public_id, future in waiting.items():
            if not future.done():  # its renewal may have been cancelled meanwhile
                future.set_result(found.get(public_id))


_renewal_reads = _RenewalReads()


def _list_versions(credential: Credential) -> _ListVersions | None:
    list_id = credential.status_list_id
    slot = StatusSlot(list_id, credential.status_index)
    versions = []
    for purpose in purposes_of(credential.document, slot):
        publication = recent.lookup(list_id, purpose)
        if publication is None:
            return None
        versions.append((list_id, purpose, publication.etag))
    return tuple(versions)


async def _still_true(sessionmaker: async_sessionmaker[AsyncSession], page: _Page) -> bool:
    """Whether this process still serves the status lists the page was rendered with.

    A list that ran out is read again as the status-list endpoint reads it — once, the
    requests meanwhile comparing with the one that ran out —, not by rendering every page on
    it again at the same moment.
    """
    for list_id, purpose, etag in page.lists:
        publication = recent.lookup(list_id, purpose)
        if publication is None:
            async with session_if_used(sessionmaker) as session:
                publication = await status_lists.recent_publication(session, list_id, purpose)
        if publication.etag != etag:
            return False
    return True


def _seconds_left(credential: Credential, now: datetime) -> float:
    """Until the next moment at which the verifier's validity check could answer otherwise."""
    skew = timedelta(seconds=get_settings().verification_clock_skew_seconds)
    moments = [
        parse_datetime(credential.document.get(name))
        for name in _VALIDITY_FIELDS
        if name in credential.document
    ]
    ahead = [
        (turn - now).total_seconds()
        for moment in moments
        if moment is not None
        for turn in (moment - skew, moment + skew)
        if turn > now
    ]
    return min([_seconds(), *ahead])


def _kept_seconds(page: _Page) -> float:
    return page.seconds


async def public_page(
    sessionmaker: async_sessionmaker[AsyncSession],
    public_id: str,
    language: str,
    draft: DraftPage,
) -> HTMLResponse:
    """The public page at ``public_id`` in ``language``: kept, or read, verified and rendered.

    A page is rendered again in the background during the last quarter of its time (before it
    runs out, so that no visitor waits for a render, not even the one who finds it due), by the
    visitor's request when it ran out, or at once when the status lists it shows have changed.
    """
    key = (public_id, language)
    rendered: list[_Page] = []

    async def load() -> _Page:
        page = await _render(sessionmaker, key, draft)
        rendered.append(page)
        return page

    # The render reads in a session of its own (autocommit: it holds no lock while it waits).
    renew = partial(_render, sessionmaker, key, draft, renewal=True)
    page = await _pages.served(key, load, _kept_seconds, renew=renew)
    if not rendered and not await _still_true(sessionmaker, page):
        _pages.forget(key)
        page = await _pages.served(key, load, _kept_seconds)
    return HTMLResponse(page.body, headers=dict(page.headers))


async def _render(
    sessionmaker: async_sessionmaker[AsyncSession],
    key: tuple[str, str],
    draft: DraftPage,
    *,
    renewal: bool = False,
) -> _Page:
    """The page read, verified and rendered; its HTML kept from before when its facts are.

    A renewal reads its credential with the other renewals due at the same moment; a visitor
    waiting for the page reads it at once.
    """
    public_id = key[0]
    async with session_if_used(sessionmaker) as session:
        credential = (
            await _renewal_reads.credential(sessionmaker, public_id)
            if renewal
            else await sharing.public_credential(session, public_id)
        )
        # The lists' versions before the verification reads them: if they change meanwhile,
        # the page may show the older one and is not kept.
        before = _list_versions(credential)
        drafted = await draft(session, credential)
    previous = _pages.stale(key)
    if previous is not None and previous.facts == drafted.facts:
        # A page in use is renewed every few seconds, and is nearly always as it was: the
        # template was a fifth of a renewal's CPU.
        body, headers = previous.body, previous.headers
    else:
        response = drafted.html()
        body = bytes(response.body)
        headers = tuple(
            (name, value)
            for name, value in response.headers.items()
            if name not in _DERIVED_HEADERS
        )
    if before is None or before != _list_versions(credential):
        return _Page(body, headers, drafted.facts, (), 0)
    # Pages rendered together (after a start, or when a list changed) would all run out and be
    # rendered again together, a burst of database reads; a share of the time at random
    # spreads them out, and a shorter stay is never less true.
    spread = random.uniform(0.75, 1.0)  # noqa: S311 (spreading load, not a secret)
    seconds = _seconds_left(credential, datetime.now(UTC)) * spread
    _addresses.put(credential.id, public_id, seconds)
    return _Page(body, headers, drafted.facts, before, seconds)


async def forget(credential_id: uuid.UUID) -> None:
    """Drop the credential's page: its learner stopped sharing it.

    A coroutine, so that a background task runs it on the event loop, where every other use of
    the cache runs, not in a thread.
    """
    public_id = _addresses.stale(credential_id)
    if public_id is not None:
        for language in LANGUAGES:
            _pages.forget((public_id, language))
        _addresses.forget(credential_id)
