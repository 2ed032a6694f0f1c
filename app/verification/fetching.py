"""``SafeFetcher``: the only way verification reaches other servers.

A verifier dereferences URLs chosen by whoever made the credential (``kid``, DID hosts, status list
URLs), so every fetch is a potential server-side request forgery. The rules:

* only ``https`` (plain ``http`` too when ``allow_private``), no ``user:pass@`` in URLs;
* the host must not be, or resolve to, a private, loopback, link-local (cloud metadata at
  169.254.169.254), multicast, reserved, unspecified, shared (100.64/10) or IPv6 ULA/site-local
  address — including IPv4 addresses embedded in IPv6 (mapped, 6to4, NAT64) — and if a name
  resolves to several addresses, *any* bad one refuses it;
* redirects are followed by hand, each hop checked the same way, at most ``max_redirects``;
* the whole fetch (every hop's resolution, connect, headers and body) must finish within one
  deadline, ``timeout`` seconds from its start, however many redirects there are and however
  slowly a server drips its answer; the body is streamed and abandoned once more than
  ``max_bytes`` arrived;
* successful responses are cached in memory for as long as their ``Cache-Control`` allows, capped
  at ``max_cache_seconds``; concurrent gets of the same uncached URL share one request.

Residual DNS-rebinding window: the name is resolved and checked here, and then httpx resolves it
again when it connects. A hostile DNS server answering with a public address first and a private
one a moment later (TTL 0) could slip through. We accept that for now because what is reachable
that way is a blind GET: the response is only parsed as a DID document, JWK or status list and
never reflected to the caller (errors carry codes, not bodies or resolved addresses), and
responses are bounded in size and time. The hardening, when needed, is to connect to the vetted
address itself (a custom httpcore network backend that dials the checked IP while keeping the name
for SNI, certificate checks and ``Host``), or to route all verifier egress through a filtering
proxy / network policy that enforces the same rules at the socket.
"""

from __future__ import annotations

import asyncio
import ipaddress
import math
import socket
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from types import TracebackType
from typing import TYPE_CHECKING

import httpx

from app.verification.errors import (
    AddressNotAllowed,
    BadResponse,
    FetchError,
    FetchTimeout,
    HttpStatusError,
    InvalidUrl,
    ResponseTooLarge,
    SchemeNotAllowed,
    TooManyRedirects,
    Unreachable,
)

if TYPE_CHECKING:
    from app.config import Settings

USER_AGENT = "Stapel-verifier/0.1"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
DEFAULT_MAX_CACHE_ENTRIES = 1024
DEFAULT_MAX_CACHE_BYTES = 64 * 1024 * 1024

ResolveHost = Callable[[str, int], Awaitable[list[str]]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_SHARED_ADDRESS_SPACE = ipaddress.IPv4Network("100.64.0.0/10")
_NAT64_PREFIX = ipaddress.IPv6Network("64:ff9b::/96")


@dataclass(frozen=True)
class Fetched:
    """A successful (2xx) response.

    ``url`` is the URL finally answered (after redirects); ``max_age`` is how many more seconds the
    response may be cached (0: not cached).
    """

    url: str
    status: int
    content_type: str
    body: bytes
    max_age: int


@dataclass
class _CacheEntry:
    fetched: Fetched
    fetched_at: float
    expires_at: float


async def resolve_with_getaddrinfo(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, the way the connection itself will resolve it."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def is_public_address(address: IPAddress) -> bool:
    """Whether ``address`` is a globally routable unicast address we may connect to."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None and not is_public_address(embedded):
            return False
        if address.is_site_local:
            return False
    elif address in _SHARED_ADDRESS_SPACE:
        return False
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, NAT64): what really gets dialled."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64_PREFIX:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def parse_cache_lifetime(headers: httpx.Headers) -> int | None:
    """Seconds a response may be cached by its ``Cache-Control`` (``None``: header absent).

    ``no-store``/``no-cache`` give 0; ``s-maxage`` wins over ``max-age`` (we are a shared cache of
    sorts); ``Age`` is subtracted; anything unparsable counts as 0 rather than as "forever".
    """
    values = headers.get_list("cache-control")
    if not values:
        return None
    directives: dict[str, str] = {}
    for value in values:
        for part in value.split(","):
            name, _, argument = part.strip().partition("=")
            directives.setdefault(name.strip().lower(), argument.strip().strip('"'))
    if "no-store" in directives or "no-cache" in directives:
        return 0
    raw = directives.get("s-maxage", directives.get("max-age"))
    lifetime = _non_negative_int(raw)
    age = _non_negative_int(headers.get("age")) or 0
    return max(0, lifetime - age) if lifetime is not None else 0


def _non_negative_int(raw: str | None) -> int | None:
    if raw is None or not raw.isascii() or not raw.isdigit() or len(raw) > 12:
        return None
    return int(raw)


class SafeFetcher:
    """Fetches foreign resources under the rules in the module docstring.

    Owns one ``httpx.AsyncClient``; close it with ``aclose()`` or use ``async with``.
    """

    def __init__(
        self,
        *,
        allow_private: bool,
        timeout: float,
        max_bytes: int,
        max_redirects: int,
        max_cache_seconds: int,
        transport: httpx.AsyncBaseTransport | None = None,
        resolve_host: ResolveHost | None = None,
        clock: Callable[[], float] = time.monotonic,
        max_cache_entries: int = DEFAULT_MAX_CACHE_ENTRIES,
        max_cache_bytes: int = DEFAULT_MAX_CACHE_BYTES,
    ) -> None:
        self.allow_private = allow_private
        self._timeout = timeout
        self._max_bytes = max_bytes
        self._max_redirects = max_redirects
        self._max_cache_seconds = max_cache_seconds
        self._resolve_host = resolve_host or resolve_with_getaddrinfo
        self._clock = clock
        self._max_cache_entries = max_cache_entries
        self._max_cache_bytes = max_cache_bytes
        self._cache: OrderedDict[tuple[str, str], _CacheEntry] = OrderedDict()
        self._cache_bytes = 0
        self._inflight: dict[tuple[str, str], asyncio.Future[Fetched]] = {}
        self._client = httpx.AsyncClient(
            transport=transport,
            follow_redirects=False,
            timeout=httpx.Timeout(timeout),
            trust_env=False,
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"},
        )

    @classmethod
    def from_settings(
        cls, settings: Settings, transport: httpx.AsyncBaseTransport | None = None
    ) -> SafeFetcher:
        return cls(
            allow_private=settings.fetch_allow_private_addresses,
            timeout=settings.fetch_timeout_seconds,
            max_bytes=settings.fetch_max_bytes,
            max_redirects=settings.fetch_max_redirects,
            max_cache_seconds=settings.fetch_cache_max_seconds,
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def vet(self, url: str) -> httpx.URL:
        """Apply the URL and address rules to a URL another client will call (webhook targets)."""
        parsed = self._parse(url)
        await self._check_url(parsed)
        return parsed

    async def __aenter__(self) -> SafeFetcher:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    # -- public API ------------------------------------------------------------------------------

    async def get(self, url: str, *, accept: str, default_max_age: int = 0) -> Fetched:
        """GET ``url`` (2xx only), from the cache when still fresh.

        ``default_max_age`` is the lifetime for a response without ``Cache-Control`` (still capped
        by ``max_cache_seconds``); such a response is kept even with 0 so that ``remember`` can
        extend it once the caller has read a lifetime (a status list ``ttl``) from the body.
        """
        key = (url, accept)
        while True:
            cached = self._lookup(key)
            if cached is not None:
                return cached
            pending = self._inflight.get(key)
            if pending is None:
                return await self._lead(key, default_max_age)
            try:
                return await asyncio.shield(pending)
            except asyncio.CancelledError:
                if _we_are_cancelled() or not pending.cancelled():
                    raise
                # The task doing the request was cancelled, not us: try again ourselves.

    def remember(self, url: str, accept: str, max_age: int) -> bool:
        """Set how long the cached response for ``(url, accept)`` lives, counted from its fetch.

        For a lifetime only known after parsing the body (a status list's ``ttl``). Capped by
        ``max_cache_seconds``; ``max_age <= 0`` drops the entry. Returns whether there was an entry
        (responses marked ``no-store``/``no-cache`` never are).
        """
        entry = self._cache.get((url, accept))
        if entry is None:
            return False
        if max_age <= 0:
            self._evict((url, accept))
            return True
        entry.expires_at = entry.fetched_at + min(max_age, self._max_cache_seconds)
        return True

    # -- caching and request sharing --------------------------------------------------------------

    def _lookup(self, key: tuple[str, str]) -> Fetched | None:
        entry = self._cache.get(key)
        if entry is None:
            return None
        remaining = entry.expires_at - self._clock()
        if remaining <= 0:
            return None
        self._cache.move_to_end(key)
        return replace(entry.fetched, max_age=math.ceil(remaining))

    async def _lead(self, key: tuple[str, str], default_max_age: int) -> Fetched:
        """Do the request for ``key`` while concurrent callers for the same key wait on it."""
        future: asyncio.Future[Fetched] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            fetched, storable = await self._fetch(key[0], key[1], default_max_age)
        except Exception as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning when nobody waits
            raise
        except BaseException:
            future.cancel()
            raise
        finally:
            del self._inflight[key]
        if storable:
            self._store(key, fetched)
        future.set_result(fetched)
        return fetched

    def _store(self, key: tuple[str, str], fetched: Fetched) -> None:
        size = len(fetched.body)
        if self._max_cache_seconds <= 0 or size > self._max_cache_bytes:
            return
        self._evict(key)
        now = self._clock()
        self._cache[key] = _CacheEntry(fetched, fetched_at=now, expires_at=now + fetched.max_age)
        self._cache_bytes += size
        while (
            len(self._cache) > self._max_cache_entries or self._cache_bytes > self._max_cache_bytes
        ):
            self._evict(next(iter(self._cache)))

    def _evict(self, key: tuple[str, str]) -> None:
        entry = self._cache.pop(key, None)
        if entry is not None:
            self._cache_bytes -= len(entry.fetched.body)

    # -- the request itself -----------------------------------------------------------------------

    async def _fetch(self, url: str, accept: str, default_max_age: int) -> tuple[Fetched, bool]:
        """Follow redirects by hand so that every hop passes ``_check_url``.

        Returns the response and whether it may be stored in the cache at all.
        """
        current = self._parse(url)
        try:
            # One deadline for the whole fetch: a timeout per hop would let a chain of slow
            # redirects hold a verification for (redirects + 1) times as long.
            async with asyncio.timeout(self._timeout):
                for _hop in range(self._max_redirects + 1):
                    outcome = await self._hop(current, accept)
                    if isinstance(outcome, httpx.URL):
                        current = outcome
                        continue
                    response, body = outcome
                    return self._fetched(current, response, body, default_max_age)
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise FetchTimeout(f"{url}: no complete answer within {self._timeout:g} s") from exc
        raise TooManyRedirects(f"{url}: more than {self._max_redirects} redirects")

    async def _hop(self, url: httpx.URL, accept: str) -> httpx.URL | tuple[httpx.Response, bytes]:
        """One request: the next URL for a redirect, else the final response and its body."""
        try:
            await self._check_url(url)
            return await self._request(url, accept)
        except httpx.TimeoutException:
            raise  # the fetch's deadline reports it
        except httpx.DecodingError as exc:
            raise BadResponse(f"{url}: the response body could not be decoded") from exc
        except httpx.RemoteProtocolError as exc:
            raise BadResponse(f"{url}: the server did not answer with valid HTTP") from exc
        except httpx.HTTPError as exc:
            raise Unreachable(f"{url}: {type(exc).__name__}") from exc

    async def _request(
        self, url: httpx.URL, accept: str
    ) -> httpx.URL | tuple[httpx.Response, bytes]:
        async with self._client.stream("GET", url, headers={"Accept": accept}) as response:
            location = response.headers.get("location")
            if response.status_code in REDIRECT_STATUSES and location:
                return self._parse_redirect(url, location)
            if not response.is_success:
                raise HttpStatusError(
                    f"{url}: HTTP status {response.status_code}", status=response.status_code
                )
            return response, await self._read_body(url, response)

    async def _read_body(self, url: httpx.URL, response: httpx.Response) -> bytes:
        """The body, abandoned once it exceeds ``max_bytes`` (whatever Content-Length said)."""
        declared = _non_negative_int(response.headers.get("content-length"))
        if declared is not None and declared > self._max_bytes:
            raise ResponseTooLarge(f"{url}: declares {declared} bytes, limit {self._max_bytes}")
        chunks: list[bytes] = []
        received = 0
        async for chunk in response.aiter_bytes():
            received += len(chunk)
            if received > self._max_bytes:
                raise ResponseTooLarge(f"{url}: more than {self._max_bytes} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    def _fetched(
        self, url: httpx.URL, response: httpx.Response, body: bytes, default_max_age: int
    ) -> tuple[Fetched, bool]:
        lifetime = parse_cache_lifetime(response.headers)
        storable = lifetime is None or lifetime > 0
        if lifetime is None:
            lifetime = max(0, default_max_age)
        fetched = Fetched(
            url=str(url),
            status=response.status_code,
            content_type=response.headers.get("content-type", ""),
            body=body,
            max_age=min(lifetime, self._max_cache_seconds),
        )
        return fetched, storable

    # -- URL and address rules --------------------------------------------------------------------

    def _parse(self, url: str) -> httpx.URL:
        """Parse with httpx itself, so the checks see exactly what the client will connect to."""
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError, ValueError) as exc:
            raise InvalidUrl(f"{url!r} is not a valid URL") from exc
        allowed = ("https", "http") if self.allow_private else ("https",)
        if parsed.scheme not in allowed:
            raise SchemeNotAllowed(f"{url}: only {' and '.join(allowed)} URLs may be fetched")
        if parsed.userinfo:
            raise InvalidUrl("URLs with credentials (user:password@host) are not fetched")
        if not parsed.raw_host:
            raise InvalidUrl(f"{url!r} has no host")
        return parsed

    def _parse_redirect(self, base: httpx.URL, location: str) -> httpx.URL:
        try:
            target = base.join(location)
        except (httpx.InvalidURL, TypeError, ValueError) as exc:
            raise InvalidUrl(f"{base}: redirect to an invalid URL") from exc
        return self._parse(str(target))

    async def _check_url(self, url: httpx.URL) -> None:
        """Refuse hosts that are, or resolve to, anything but public unicast addresses."""
        if self.allow_private:
            return
        port = url.port or (443 if url.scheme == "https" else 80)
        await vet_host(url.raw_host.decode("ascii"), port, str(url), self._resolve_host)


async def vet_host(
    host: str, port: int, label: str, resolve: ResolveHost = resolve_with_getaddrinfo
) -> None:
    """Refuse a host that is, or resolves to, anything but public unicast addresses.

    Shared by every client that connects where a tenant told it to (fetches, webhooks, SMTP);
    ``label`` names the target in the error.
    """
    literal = _ip_or_none(host)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            resolved = await resolve(host, port)
        except OSError as exc:
            raise Unreachable(f"{label}: the host name could not be resolved") from exc
        found = [_ip_or_none(address) for address in resolved]
        if not found:
            raise Unreachable(f"{label}: the host name could not be resolved")
        if any(address is None for address in found):
            raise AddressNotAllowed(f"{label}: the host resolved to something not an address")
        addresses = [address for address in found if address is not None]
    if not all(is_public_address(address) for address in addresses):
        raise AddressNotAllowed(f"{label}: the host is not a public address")


def _ip_or_none(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None


def _we_are_cancelled() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


__all__ = [
    "FetchError",
    "Fetched",
    "SafeFetcher",
    "is_public_address",
    "parse_cache_lifetime",
    "vet_host",
]
