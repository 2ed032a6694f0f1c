"""The one place where errors become HTTP: RFC 9457 problem details."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from app.db.unavailable import database_unavailable, sqlstate
from app.errors import DomainError, FieldError, RateLimited, Unauthenticated

logger = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "urn:stapel:problem:"

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    408: "request_timeout",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "rate_limited",
}


class ProblemFieldError(BaseModel):
    pointer: str | None = None
    parameter: str | None = None
    header: str | None = None
    detail: str
    code: str


class Problem(BaseModel):
    """An RFC 9457 problem; ``code`` is the stable machine-readable reason."""

    type: str
    title: str
    status: int
    code: str
    detail: str
    errors: list[ProblemFieldError] | None = None


def problem_response(
    status: int,
    code: str,
    title: str,
    detail: str,
    errors: Sequence[ProblemFieldError] = (),
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = Problem(
        type=PROBLEM_TYPE_BASE + code,
        title=title,
        status=status,
        code=code,
        detail=detail,
        errors=list(errors) or None,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def _json_pointer(parts: Iterable[object]) -> str:
    escaped = (str(p).replace("~", "~0").replace("/", "~1") for p in parts)
    return "#/" + "/".join(escaped)


def _field_error(error: FieldError) -> ProblemFieldError:
    return ProblemFieldError(
        pointer=error.pointer or None,
        parameter=error.parameter,
        detail=error.detail,
        code=error.code,
    )


def _validation_error(err: dict[str, Any]) -> ProblemFieldError:
    loc = list(err.get("loc", ()))
    where = loc[0] if loc else "body"
    rest = loc[1:]
    detail = str(err.get("msg", "invalid value"))
    code = str(err.get("type", "invalid"))
    if where == "body":
        return ProblemFieldError(pointer=_json_pointer(rest), detail=detail, code=code)
    name = ".".join(str(p) for p in rest)
    if where == "header":
        return ProblemFieldError(header=name, detail=detail, code=code)
    return ProblemFieldError(parameter=name, detail=detail, code=code)


def domain_problem(error: DomainError) -> Problem:
    return Problem(
        type=PROBLEM_TYPE_BASE + error.code,
        title=error.title,
        status=error.status_code,
        code=error.code,
        detail=error.detail,
        errors=[_field_error(e) for e in error.errors] or None,
    )


async def _on_domain_error(_: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, DomainError):  # pragma: no cover - registered for DomainError only
        raise TypeError(exc)
    return domain_problem_response(exc)


def domain_problem_response(error: DomainError) -> JSONResponse:
    """The problem answer of ``error``, with the headers its kind calls for."""
    headers: dict[str, str] = {}
    if isinstance(error, Unauthenticated):
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(error, RateLimited):
        headers["Retry-After"] = str(error.retry_after)
    return JSONResponse(
        domain_problem(error).model_dump(exclude_none=True),
        status_code=error.status_code,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers or None,
    )


async def _on_request_validation(_: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, RequestValidationError):  # pragma: no cover
        raise TypeError(exc)
    raw = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in raw):
        return problem_response(
            400,
            "malformed_request",
            "The request body could not be parsed",
            "The body is not valid JSON.",
        )
    return problem_response(
        422,
        "validation_failed",
        "The request is not valid",
        f"{len(raw)} field(s) failed validation.",
        [_validation_error(e) for e in raw],
    )


async def _on_http_exception(_: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, StarletteHTTPException):  # pragma: no cover
        raise TypeError(exc)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    title = code.replace("_", " ").capitalize()
    return problem_response(exc.status_code, code, title, str(exc.detail), headers=exc.headers)


async def _on_unexpected(_: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error", exc_info=exc)
    return problem_response(
        500, "internal_error", "Internal server error", "An unexpected error occurred."
    )


async def _on_database_error(request: Request, exc: Exception) -> JSONResponse:
    """The database cannot take the request now (restart, failover, overload): a 503 the client
    may retry, not a 500.

    Nothing was committed: the request's transaction died with its connection, was refused one,
    or was refused its write.
    """
    if not database_unavailable(exc):
        return await _on_unexpected(request, exc)
    # The client's answer is the same whatever the cause; the operator's log names it.
    logger.warning("database unavailable: %s %s", type(exc).__name__, sqlstate(exc))
    return problem_response(
        503,
        "database_unavailable",
        "The database is not available",
        "Nothing was stored. Try again in a moment.",
        headers={"Retry-After": "2"},
    )


# Not an HTTP status any client receives: the one proxies log for a client that left first.
CLIENT_CLOSED_REQUEST: Final = 499


def client_gone_response() -> JSONResponse:
    """The answer to a request whose client left before its body was complete: nobody receives
    it, but the access log and the metrics count it, as the 499 (client closed request) that
    proxies log."""
    return problem_response(
        CLIENT_CLOSED_REQUEST,
        "client_closed_request",
        "Client closed request",
        "The connection closed before the request body was complete.",
    )


async def _on_client_gone(_: Request, exc: Exception) -> JSONResponse:
    # A route reading a body the input guard leaves alone (anything but JSON) meets the
    # disconnect itself: a client gone, not a server error.
    return client_gone_response()


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ClientDisconnect, _on_client_gone)
    app.add_exception_handler(DomainError, _on_domain_error)
    app.add_exception_handler(DBAPIError, _on_database_error)
    app.add_exception_handler(OSError, _on_database_error)
    app.add_exception_handler(RequestValidationError, _on_request_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_exception_handler(Exception, _on_unexpected)
