"""The learner's request for a micro-credential, from the claim page of a credential they hold.

``GET /claim/{token}/request`` shows the form: the institution's published achievements, the
learner's identifier (checked against the credential: ``app.learner_requests.claimant``),
evidence as text and link, and an optional external credential pasted or uploaded as on the
verify page. ``POST`` sends it through the same service as ``POST /v1/credential-requests``.
Like publishing, the form is safe from other sites because its address holds the claim link's
secret, which no other site knows. Input that cannot be taken gets the form again with a message
under a 4xx status, and nothing written.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import FormData, UploadFile

from app.config import get_settings
from app.db.session import DbSession
from app.errors import (
    CredentialNotReadable,
    DomainError,
    FieldError,
    PayloadTooLarge,
    TokenTooLarge,
    ValidationFailed,
)
from app.http.strings import mark_own_string_checks
from app.institutions import repository as institutions
from app.learner_requests import repository
from app.learner_requests import service as requests
from app.learner_requests.claimant import claimant
from app.learner_requests.models import CredentialRequest
from app.learner_requests.service import Evidence, Requester
from app.pages.i18n import Translator
from app.pages.rendering import form_translator, render, translator
from app.pages.routing import PageRoute
from app.pages.verify import ACCEPTED_FILES, limit_in_words
from app.pages.verify_sources import read_form, token_from_form
from app.sharing import service as sharing
from app.sharing.service import Claimed

router = APIRouter(route_class=PageRoute, include_in_schema=False)

# lang, achievement_id, identifier, evidence_text, evidence_url, credential, file
_FIELDS = 7
_MAX_TEXT = 20_000
_MAX_URL = 2048
_KEPT = ("achievement_id", "identifier", "evidence_text", "evidence_url")


def _field(form: FormData, name: str) -> str | None:
    value = form.get(name)
    return value.strip() or None if isinstance(value, str) else None


def _invalid(code: str) -> ValidationFailed:
    return ValidationFailed(code, errors=[FieldError(f"#/{code}", code, code)])


def _message(t: Translator, error: DomainError) -> str:
    if isinstance(error, CredentialNotReadable):
        return t(f"verify.error.{error.reason}")
    if isinstance(error, PayloadTooLarge | TokenTooLarge):
        return t("verify.error.too_large", limit=limit_in_words())
    for code in [e.code for e in error.errors] + [error.code]:
        if t.knows(f"request.error.{code}"):
            return t(f"request.error.{code}")
    return t("verify.error.malformed")


async def _form_page(
    t: Translator,
    session: DbSession,
    claimed: Claimed,
    token: str,
    *,
    error: DomainError | None = None,
    values: Mapping[str, str | None] | None = None,
) -> HTMLResponse:
    credential = claimed.credential
    institution = await institutions.get(session, credential.institution_id)
    subject = credential.document.get("credentialSubject")
    return render(
        t,
        "request.html",
        status_code=error.status_code if error else 200,
        problem=_message(t, error) if error else None,
        institution=institution.display_name if institution else "",
        achievements=await repository.requestable(session, credential.institution_id),
        named_by_did=isinstance(subject, dict) and isinstance(subject.get("id"), str),
        claim_path=f"/claim/{token}",
        values={name: (values or {}).get(name) or "" for name in _KEPT},
        accepted_files=ACCEPTED_FILES,
        limit=limit_in_words(),
    )


@router.get("/claim/{token}/request", response_class=HTMLResponse)
async def request_form(token: str, request: Request, session: DbSession) -> HTMLResponse:
    claimed = await sharing.open_claim(session, token)
    return await _form_page(translator(request), session, claimed, token)


def _has_external(form: FormData) -> bool:
    upload = form.get("file")
    uploaded = isinstance(upload, UploadFile) and bool(upload.filename or upload.size)
    return uploaded or _field(form, "credential") is not None


async def _evidence(form: FormData, limit: int) -> Evidence:
    text, url = _field(form, "evidence_text"), _field(form, "evidence_url")
    if text is not None and len(text) > _MAX_TEXT:
        raise _invalid("text_too_long")
    if url is not None and (not url.startswith("https://") or len(url) > _MAX_URL):
        raise _invalid("url_invalid")
    token = await token_from_form(form, limit) if _has_external(form) else None
    if not (text or url or token):
        raise _invalid("no_evidence")
    return Evidence(text, url, token)


async def _create(
    request: Request, session: DbSession, claimed: Claimed, form: FormData, limit: int
) -> CredentialRequest:
    try:
        achievement_id = uuid.UUID(_field(form, "achievement_id") or "")
    except ValueError:
        raise _invalid("achievement_required") from None
    learner = claimant(claimed.credential, _field(form, "identifier"))
    evidence = await _evidence(form, limit)
    requester = Requester(claimed.credential.institution_id, claimed.actor, "claim_page")
    return await requests.create_request(
        session, request.app.state.fetcher, requester, achievement_id, learner, evidence
    )


@router.post("/claim/{token}/request", response_class=HTMLResponse)
async def request_posted(token: str, request: Request, session: DbSession) -> HTMLResponse:
    claimed = await sharing.open_claim(session, token)
    limit = get_settings().verify_upload_max_bytes
    form = await read_form(request, limit, max_fields=_FIELDS)
    t = form_translator(request, form)
    try:
        try:
            # A savepoint: a refusal leaves nothing behind, though the page answers normally.
            async with session.begin_nested():
                created = await _create(request, session, claimed, form, limit)
        except DomainError as error:
            values = {name: _field(form, name) for name in _KEPT}
            return await _form_page(t, session, claimed, token, error=error, values=values)
    finally:
        await form.close()
    return await _sent_page(t, session, token, created)


async def _sent_page(
    t: Translator, session: DbSession, token: str, created: CredentialRequest
) -> HTMLResponse:
    institution = await institutions.get(session, created.institution_id)
    titles = dict(await repository.requestable(session, created.institution_id))
    ids = [created.external_credential_id] if created.external_credential_id else []
    external = next(iter((await repository.externals(session, ids)).values()), None)
    return render(
        t,
        "request_sent.html",
        institution=institution.display_name if institution else "",
        achievement=titles.get(created.achievement_id, ""),
        external=external,
        claim_path=f"/claim/{token}",
    )


# Pages answer any address that names nothing they show (a NUL in it included) with their 404
# page, never with a problem.
mark_own_string_checks(router.routes)
