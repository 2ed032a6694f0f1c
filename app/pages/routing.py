"""Routes that answer with pages, errors included: a person reads them, not a program."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import cast

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from app.errors import DomainError, MalformedRequest, NotFound
from app.pages.rendering import error_page, translator


class PageRoute(APIRoute):
    """A route whose errors are shown as an error page instead of a problem.

    The conversion happens in the application's exception handlers
    (``install_page_error_handlers``), not around the route's handler: only there has the
    error already passed through the request's session dependency, which rolls the
    transaction back, so an error page never follows a half-written change.
    """


# The problem handlers of ``app.problems``: all of them coroutines.
_Handler = Callable[[Request, Exception], Awaitable[Response]]


def _page_error(error: Exception) -> DomainError:
    if isinstance(error, DomainError):
        return error
    # Parameters that fail validation read as "not found": a malformed link is a wrong link.
    errors = error.errors() if isinstance(error, RequestValidationError) else []
    if all(e.get("loc", ("",))[0] == "path" for e in errors):
        return NotFound("No such page.")
    return MalformedRequest("The form could not be read.")


def install_page_error_handlers(app: FastAPI) -> None:
    """Answer the errors of page routes with pages; every other route keeps its problems.

    Installed after ``install_problem_handlers``, whose handlers it calls for other routes.
    """
    for error_type in (DomainError, RequestValidationError):
        problem = cast(_Handler, app.exception_handlers[error_type])

        async def handle(
            request: Request, error: Exception, problem: _Handler = problem
        ) -> Response:
            if isinstance(request.scope.get("route"), PageRoute):
                return error_page(translator(request), _page_error(error))
            return await problem(request, error)

        app.add_exception_handler(error_type, handle)
