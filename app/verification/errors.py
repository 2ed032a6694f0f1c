"""Typed errors of the outbound side of verification: fetching and key resolution.

A verifier is attacked by design, so every way a foreign server or a hostile token can make
fetching or key resolution fail surfaces as one of these, each with a stable machine ``code``
(callers and API clients branch on it: never rename one) and a human ``detail``. Details name
the URL involved but never an address a name resolved to, so error messages cannot be used to
map an internal network.
"""

from __future__ import annotations

from typing import ClassVar


class FetchError(Exception):
    """Reaching a foreign server failed or was refused."""

    code: ClassVar[str] = "fetch_failed"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidUrl(FetchError):
    """Not a URL httpx can parse, or one carrying userinfo (``user:pass@``)."""

    code = "invalid_url"


class SchemeNotAllowed(FetchError):
    """Only ``https`` (and ``http`` when private addresses are allowed)."""

    code = "scheme_not_allowed"


class AddressNotAllowed(FetchError):
    """The host is, or resolves to, a private/loopback/link-local/... address."""

    code = "address_not_allowed"


class TooManyRedirects(FetchError):
    code = "too_many_redirects"


class HttpStatusError(FetchError):
    """The final response was not 2xx."""

    code = "http_status"

    def __init__(self, detail: str, *, status: int) -> None:
        super().__init__(detail)
        self.status = status


class ResponseTooLarge(FetchError):
    code = "too_large"


class FetchTimeout(FetchError):
    code = "timeout"


class Unreachable(FetchError):
    """Name resolution or the connection failed."""

    code = "unreachable"


class BadResponse(FetchError):
    """The server answered with something that is not valid HTTP (or a broken encoding)."""

    code = "bad_response"


class KeyResolutionError(Exception):
    """A JWS ``kid`` could not be turned into a trustworthy public JWK.

    Fetch failures are wrapped with the ``FetchError``'s code and kept as ``__cause__``.
    """

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail
