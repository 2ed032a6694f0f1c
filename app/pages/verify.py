"""The verify page: employers and admissions officers check a credential without an account.

``GET /verify`` shows the forms (paste, upload) and, with ``?url=``, verifies the credential
behind a public credential page; ``POST /verify`` verifies what was pasted or uploaded. The
answer is the verifier's report in plain words. Input that holds no readable credential gets the
page again with a message saying why, under a 4xx status (502 when another server failed us).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import HTMLResponse

from app.config import get_settings
from app.db.session import session_if_used
from app.errors import CredentialNotReadable, DomainError, NotFound, PayloadTooLarge, TokenTooLarge
from app.errors import ValidationFailed as Unsupported
from app.http.strings import mark_own_string_checks
from app.pages.i18n import Translator
from app.pages.rendering import form_translator, render, translator
from app.pages.routing import PageRoute
from app.pages.verdict import Verdict, verdict
from app.pages.verify_sources import read_form, token_at_url, token_from_form
from app.verification import service as verification
from app.verification.errors import (
    AddressNotAllowed,
    FetchError,
    HttpStatusError,
    InvalidUrl,
    SchemeNotAllowed,
)

router = APIRouter(route_class=PageRoute, include_in_schema=False)

ACCEPTED_FILES = ".jwt,.json,.png,.svg"


# What the page says to input it could not verify, by the error's type (the first match wins).
_REFUSALS: tuple[tuple[type[Exception] | tuple[type[Exception], ...], int, str], ...] = (
    ((PayloadTooLarge, TokenTooLarge), status.HTTP_413_CONTENT_TOO_LARGE, "too_large"),
    (NotFound, status.HTTP_404_NOT_FOUND, "url_not_found"),
    (
        (InvalidUrl, SchemeNotAllowed, AddressNotAllowed),
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        "url_refused",
    ),
    (FetchError, status.HTTP_502_BAD_GATEWAY, "url_unreachable"),
    (Unsupported, status.HTTP_422_UNPROCESSABLE_CONTENT, "unsupported"),
)


def _refusal(error: DomainError | FetchError) -> tuple[int, str]:
    """The status and the message key for input the page could not verify."""
    if isinstance(error, CredentialNotReadable):
        return error.status_code, f"verify.error.{error.reason}"
    if isinstance(error, HttpStatusError) and error.status in (404, 410):
        return status.HTTP_404_NOT_FOUND, "verify.error.url_not_found"
    for kinds, status_code, reason in _REFUSALS:
        if isinstance(error, kinds):
            return status_code, f"verify.error.{reason}"
    return error.status_code if isinstance(error, DomainError) else 400, "verify.error.malformed"


def _page(
    t: Translator,
    *,
    status_code: int = status.HTTP_200_OK,
    problem: str | None = None,
    url: str = "",
    result: Verdict | None = None,
) -> HTMLResponse:
    return render(
        t,
        "verify.html",
        status_code=status_code,
        problem=problem,
        url=url,
        result=result,
        accepted_files=ACCEPTED_FILES,
        limit=limit_in_words(),
    )


def limit_in_words() -> str:
    return f"{get_settings().verify_upload_max_bytes / 1_048_576:.3g} MiB"


def _refused(t: Translator, error: DomainError | FetchError, url: str = "") -> HTMLResponse:
    status_code, key = _refusal(error)
    return _page(t, status_code=status_code, problem=t(key, limit=limit_in_words()), url=url)


@router.get("/verify", response_class=HTMLResponse)
async def verify_page(
    request: Request, url: Annotated[str | None, Query(max_length=4096)] = None
) -> HTMLResponse:
    t = translator(request)
    if url is None or not url.strip():
        return _page(t)
    fetcher = request.app.state.fetcher
    async with session_if_used(request.app.state.sessionmaker) as session:
        try:
            token = await token_at_url(session, fetcher, url.strip())
            report = await verification.verify(session, fetcher, token)
        except (DomainError, FetchError) as error:
            return _refused(t, error, url)
    return _page(t, result=verdict(t, report), url=url)


@router.post("/verify", response_class=HTMLResponse)
async def verify_posted(request: Request) -> HTMLResponse:
    limit = get_settings().verify_upload_max_bytes
    try:
        form = await read_form(request, limit)
    except DomainError as error:
        return _refused(translator(request), error)
    t = form_translator(request, form)
    fetcher = request.app.state.fetcher
    try:
        async with session_if_used(request.app.state.sessionmaker) as session:
            try:
                token = await token_from_form(form, limit)
                report = await verification.verify(session, fetcher, token)
            except DomainError as error:
                return _refused(t, error)
    finally:
        await form.close()
    return _page(t, result=verdict(t, report))


# Pages answer any address that names nothing they show (a NUL in it included) with their 404
# page, never with a problem.
mark_own_string_checks(router.routes)
