"""The one place where the OpenID endpoints' errors become responses.

Wallets read RFC 6749 / OpenID4VCI error bodies, ``{"error", "error_description"}``, so these
endpoints answer with those instead of problem+json. An ``OAuthError`` travels out of the route
like any exception, so the request's transaction is rolled back on its way, and the application
handler installed here writes the answer. A request FastAPI cannot even parse (nothing has been
written yet) is the wallet's mistake as well: an unknown issuer in the path is 404, anything
else is ``invalid_request``.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, cast

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from app.oid4vci.errors import InvalidRequest, InvalidToken, IssuerNotFound, OAuthError

# Token, nonce and credential answers hold secrets or single-use values: never cached.
NO_STORE = {"Cache-Control": "no-store"}


def error_response(error: OAuthError) -> JSONResponse:
    headers = dict(NO_STORE)
    if isinstance(error, InvalidToken):
        # RFC 6750 §3: quoted-string values; the descriptions here never contain a quote.
        description = error.description.replace('"', "'")
        headers["WWW-Authenticate"] = (
            f'Bearer error="{error.error}", error_description="{description}"'
        )
    return JSONResponse(
        {"error": error.error, "error_description": error.description},
        status_code=error.status_code,
        headers=headers,
    )


async def _on_oauth_error(_: Request, error: Exception) -> Response:
    # Registered for OAuthError only; Starlette's handler type is the general one.
    return error_response(cast(OAuthError, error))


def install_oauth_error_handler(app: FastAPI) -> None:
    app.add_exception_handler(OAuthError, _on_oauth_error)


class OAuthRoute(APIRoute):
    """Answers requests that fail FastAPI's own validation in OAuth's words, not as problems."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def oauth_handler(request: Request) -> Response:
            try:
                return await handle(request)
            except RequestValidationError as error:
                path_only = all(e.get("loc", ("",))[0] == "path" for e in error.errors())
                refusal: OAuthError = (
                    IssuerNotFound("No credential issuer at this address.")
                    if path_only
                    else InvalidRequest("The request could not be read.")
                )
                return error_response(refusal)

        return oauth_handler
