"""Jinja2 templates, rendered with the request's language and the pages' security headers."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.datastructures import FormData

from app.errors import DomainError
from app.pages.i18n import LANGUAGES, Translator, negotiate
from app.pages.security import PAGE_HEADERS, PRIVATE

_ENVIRONMENT = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def translator(request: Request) -> Translator:
    return Translator(
        negotiate(request.query_params.get("lang"), request.headers.get("accept-language"))
    )


def form_translator(request: Request, form: FormData) -> Translator:
    """The form carries the page's language, so the answer comes in the one it was asked in."""
    asked = form.get("lang")
    return Translator(
        negotiate(
            asked if isinstance(asked, str) else request.query_params.get("lang"),
            request.headers.get("accept-language"),
        )
    )


def render(
    t: Translator,
    template: str,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] = PRIVATE,
    **context: Any,
) -> HTMLResponse:
    html = _ENVIRONMENT.get_template(template).render(t=t, languages=LANGUAGES, **context)
    return HTMLResponse(
        html,
        status_code=status_code,
        headers={
            **PAGE_HEADERS,
            **headers,
            "Content-Language": t.language,
            "Vary": "Accept-Language",
        },
    )


_TITLED = {400, 404, 409, 410, 413, 415, 422}


def error_page(t: Translator, error: DomainError) -> HTMLResponse:
    """A domain error as a page: our own words for the common cases, the error's for the rest."""
    status = error.status_code if error.status_code in _TITLED else 400
    title = t(f"error.{status}.title")
    detail = t(f"error.{status}.detail") if status in (404, 410) else error.detail
    return render(t, "error.html", status_code=status, title=title, detail=detail)
