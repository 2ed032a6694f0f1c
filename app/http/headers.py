"""Security and caching headers on every answer of the API process.

One pure-ASGI middleware adds what an answer does not set itself:

- ``X-Content-Type-Options``, ``Referrer-Policy``, ``X-Frame-Options`` and a Content Security
  Policy that allows nothing (``default-src 'none'; frame-ancestors 'none'``): a JSON answer
  opened in a browser runs nothing and cannot be framed. Pages and the documentation pages set
  their own policy, which is kept.
- ``Strict-Transport-Security`` when the public base URL is https.
- ``Cache-Control: no-store`` and ``Cross-Origin-Resource-Policy: same-origin`` on every answer
  that does not declare its own caching. Caching is opt-in: the public documents that verifiers
  and wallets fetch (DID documents, JWKS, status lists, contexts, catalogue entries, images)
  state their lifetime with ``Cache-Control`` and are left alone, cross-origin readable as
  before; everything else — credentials, claim views, verification reports, wallet tokens and
  credentials, SIS outcomes, the audit log, problems — may carry learner data and is kept by no
  browser or proxy. A new route is private until its author decides otherwise, so forgetting
  is the safe mistake.
"""

from __future__ import annotations

from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

JSON_CONTENT_SECURITY_POLICY: Final = "default-src 'none'; frame-ancestors 'none'"
HSTS: Final = "max-age=31536000; includeSubDomains"

RawHeaders = list[tuple[bytes, bytes]]


def _raw(*pairs: tuple[str, str]) -> tuple[tuple[bytes, bytes], ...]:
    return tuple((name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in pairs)


# Encoded once: the middleware runs on every answer, so it only compares names and appends.
_ALWAYS: Final = _raw(
    ("X-Content-Type-Options", "nosniff"),
    # Claim links carry their secret in the path: no answer may pass its address on.
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
    ("Content-Security-Policy", JSON_CONTENT_SECURITY_POLICY),
)
_PRIVATE: Final = _raw(
    ("Cache-Control", "no-store"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
)
_HSTS: Final = _raw(("Strict-Transport-Security", HSTS))
_CACHE_CONTROL: Final = b"cache-control"


class SecurityHeadersMiddleware:
    """Add the headers above to every HTTP answer, never replacing one the answer set."""

    def __init__(self, app: ASGIApp, *, https: bool) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = with_default_headers(
                    list(message.get("headers", ())), https=self.https
                )
            await send(message)

        await self.app(scope, receive, send_with_headers)


def with_default_headers(headers: RawHeaders, *, https: bool) -> RawHeaders:
    """``headers`` (ASGI's lower-case names) with each default the answer did not set added."""
    present = {name.lower() for name, _ in headers}
    defaults = list(_ALWAYS)
    if _CACHE_CONTROL not in present:
        defaults.extend(_PRIVATE)
    if https:
        defaults.extend(_HSTS)
    headers.extend(pair for pair in defaults if pair[0] not in present)
    return headers
