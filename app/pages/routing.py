"""Routes that answer with pages, errors included: a person reads them, not a program."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from app.errors import DomainError, MalformedRequest, NotFound
from app.pages.rendering import error_page, translator


class PageRoute(APIRoute):
    """Turns the domain errors of a page's request into an error page instead of a problem.

    The request's transaction has already been rolled back when the error arrives here (the
    session dependency exits first), so an error page never follows a half-written change.
    Parameters that fail validation read as "not found": a malformed link is a wrong link.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handle(request)
            except DomainError as error:
                return error_page(translator(request), error)
            except RequestValidationError as error:
                path_only = all(e.get("loc", ("",))[0] == "path" for e in error.errors())
                refusal: DomainError = (
                    NotFound("No such page.")
                    if path_only
                    else MalformedRequest("The form could not be read.")
                )
                return error_page(translator(request), refusal)

        return page_handler
