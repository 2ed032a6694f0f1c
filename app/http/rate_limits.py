"""Rate limits: token buckets kept in this process, one set per kind of caller.

* per API key, on every authenticated REST route (``app.auth.dependencies``);
* per client address, on the public routes that cost the most to answer (verification, GraphQL,
  the learner's and the verify pages): :class:`PublicRateLimit`, a pure-ASGI middleware;
* per wallet offer (its pre-authorised code), on the OpenID4VCI token endpoint;
* failed API-key attempts per client address: once its bucket is empty, requests with an API
  key from that address are refused until it refills.

A bucket holds ``per_minute`` tokens (the burst), refills at ``per_minute / 60`` a second, and a
request takes one; an empty bucket answers ``429 rate_limited`` with ``Retry-After``. Each kind
remembers at most ``max_keys`` callers, least recently seen dropped first, so memory stays
bounded (a dropped caller starts again with a full bucket). The buckets live in one process:
with N processes (``--workers``, replicas) a caller gets up to N times the limit, see
docs/operations.md. The client address is the one uvicorn saw, or the one a trusted proxy
(``--forwarded-allow-ips``) put in ``X-Forwarded-For``; the header is never read here.
"""

from __future__ import annotations

import math
import re
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from starlette.types import ASGIApp, Receive, Scope, Send

from app.errors import RateLimited
from app.problems import domain_problem_response

if TYPE_CHECKING:
    from app.config import Settings

Clock = Callable[[], float]

# Public routes whose answers cost database or CPU time: verification, the catalogue's GraphQL,
# the learner's pages and downloads, the verify page. Status lists, DID documents and contexts
# are cached documents every verifier fetches, and stay unlimited.
_PUBLIC_COSTLY: Final = re.compile(
    r"^/(v1/verify|graphql|credentials/verify|presentations/verify|verify)$|^/(claim|c)/"
)


class TokenBuckets:
    """One token bucket per key, at most ``max_keys`` of them (least recently used dropped)."""

    def __init__(self, per_minute: int, max_keys: int, clock: Clock = time.monotonic) -> None:
        self._capacity = float(per_minute)
        self._per_second = per_minute / 60
        self._max_keys = max_keys
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # tokens, when

    def _tokens(self, key: str) -> float:
        now = self._clock()
        tokens, since = self._buckets.get(key, (self._capacity, now))
        return min(self._capacity, tokens + (now - since) * self._per_second)

    def _set(self, key: str, tokens: float) -> None:
        self._buckets[key] = (tokens, self._clock())
        self._buckets.move_to_end(key)
        while len(self._buckets) > self._max_keys:
            self._buckets.popitem(last=False)

    def wait(self, key: str) -> float:
        """Seconds until ``key`` has a token (0: it has one now); takes none."""
        tokens = self._tokens(key)
        return 0.0 if tokens >= 1 else (1 - tokens) / self._per_second

    def take(self, key: str) -> float:
        """Take a token: 0 when there was one, else the seconds until there is (none taken)."""
        tokens = self._tokens(key)
        if tokens < 1:
            self._set(key, tokens)
            return (1 - tokens) / self._per_second
        self._set(key, tokens - 1)
        return 0.0

    def charge(self, key: str) -> None:
        """Take a token whether or not there is one left (counting failures)."""
        self._set(key, max(0.0, self._tokens(key) - 1))

    def __len__(self) -> int:
        return len(self._buckets)


def _refused(wait: float, detail: str) -> RateLimited:
    return RateLimited(detail, retry_after=max(1, math.ceil(wait)))


def _take(buckets: TokenBuckets | None, key: str, detail: str) -> None:
    if buckets is not None and (wait := buckets.take(key)):
        raise _refused(wait, detail)


@dataclass(frozen=True, slots=True)
class RateLimits:
    """The buckets of one process; ``None`` for every kind when the limits are off."""

    api_keys: TokenBuckets | None = None
    public: TokenBuckets | None = None
    offers: TokenBuckets | None = None
    auth_failures: TokenBuckets | None = None

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock = time.monotonic) -> RateLimits:
        if not settings.rate_limits_enabled:
            return cls()
        keys = settings.rate_limit_max_keys
        return cls(
            api_keys=TokenBuckets(settings.rate_limit_api_key_per_minute, keys, clock),
            public=TokenBuckets(settings.rate_limit_public_per_minute, keys, clock),
            offers=TokenBuckets(settings.rate_limit_offer_per_minute, keys, clock),
            auth_failures=TokenBuckets(settings.rate_limit_auth_failures_per_minute, keys, clock),
        )

    def take_api_key(self, client_id: str) -> None:
        _take(self.api_keys, client_id, "This API key has made too many requests; slow down.")

    def take_public(self, address: str) -> None:
        _take(self.public, address, "Too many requests from this address; slow down.")

    def take_offer(self, code_key: str) -> None:
        _take(self.offers, code_key, "Too many token requests for this offer.")

    def refuse_after_failures(self, address: str) -> None:
        """429 while the address has used up its failed API-key attempts."""
        if self.auth_failures is not None and (wait := self.auth_failures.wait(address)):
            raise _refused(wait, "Too many failed API-key attempts from this address.")

    def note_failure(self, address: str) -> None:
        if self.auth_failures is not None:
            self.auth_failures.charge(address)


NO_LIMITS: Final = RateLimits()


def rate_limits_of(app: Any) -> RateLimits:
    """The app's limits (set by its lifespan); none before it has run."""
    limits = getattr(app.state, "rate_limits", None)
    return limits if isinstance(limits, RateLimits) else NO_LIMITS


def client_address(scope: Scope) -> str:
    """The client's address as uvicorn (and its trusted-proxy handling) put it in the scope."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class PublicRateLimit:
    """Takes a token of the client address's bucket for each request to a costly public route."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _PUBLIC_COSTLY.match(scope["path"]):
            try:
                rate_limits_of(scope["app"]).take_public(client_address(scope))
            except RateLimited as refused:
                await domain_problem_response(refused)(scope, receive, send)
                return
        await self.app(scope, receive, send)
