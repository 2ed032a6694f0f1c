"""The learner's pages: the claim view with its consent controls, and the public view.

Both show the same template. The claim view is the learner's (private, never cached, with the
publish and unpublish buttons); the public view exists only while the learner publishes it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.background import BackgroundTask

from app.config import get_settings
from app.credentials.models import Credential
from app.db.session import DbSession
from app.http.strings import mark_own_string_checks
from app.oid4vci import service as wallets
from app.pages import public_cache
from app.pages.downloads import DownloadName, PageImages, page_actions, page_images
from app.pages.i18n import Translator
from app.pages.negotiation import VARY, published_credential, wants_credential
from app.pages.qr import one_time_qr_data_uri, qr_data_uri
from app.pages.rendering import render, translator
from app.pages.routing import PageRoute
from app.pages.security import PAGE_HEADERS, PRIVATE, PUBLIC
from app.pages.view import credential_view
from app.sharing import service as sharing
from app.verification import service as verification
from app.verification.schemas import VerificationOut

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@dataclass(frozen=True, slots=True)
class WalletOfferView:
    """A wallet offer as the learner's view shows it, once: its QR code and transaction code."""

    uri: str
    qr: str
    tx_code: str


@dataclass(frozen=True, slots=True)
class _PageFacts:
    """What a credential page shows that can differ from one render to the next.

    The rest of it (the signed document, the address, the language) never changes for one
    public page, so a page whose facts compare equal renders to the same HTML. The verifier's
    report is kept without the credential it decoded: that follows from the token, which the
    credential's id fixes, and would be most of what a kept page holds in memory.
    """

    credential_id: uuid.UUID
    verdict: VerificationOut
    state: str
    status_changed_at: datetime | None
    images: PageImages
    wallet_pickable: bool


async def _page_facts(
    request: Request, session: AsyncSession, credential: Credential
) -> tuple[VerificationOut, _PageFacts]:
    """The verifier's report on the credential, and the facts its page shows."""
    report = await verification.verify(session, request.app.state.fetcher, credential.jwt)
    return report, _PageFacts(
        credential_id=credential.id,
        verdict=report.model_copy(update={"credential": None, "disclosed": None}),
        state=credential.state,
        status_changed_at=credential.status_changed_at,
        images=await page_images(session, credential),
        wallet_pickable=wallets.is_pickable(credential, datetime.now(UTC)),
    )


def _credential_html(
    t: Translator,
    credential: Credential,
    report: VerificationOut,
    facts: _PageFacts,
    *,
    claim_path: str | None,
    wallet_offer: WalletOfferView | None = None,
) -> HTMLResponse:
    view = credential_view(
        t,
        credential.document,
        report,
        state=facts.state,
        status_changed_at=facts.status_changed_at,
        **facts.images,
    )
    public_url = sharing.public_url(credential.public_id) if credential.public_id else None
    return render(
        t,
        "credential.html",
        headers=PRIVATE if claim_path else PUBLIC,
        view=view,
        private=claim_path is not None,
        claim_path=claim_path,
        revoked=facts.state == "revoked",
        public_url=public_url,
        qr=qr_data_uri(public_url) if public_url else None,
        # The baked badge: what a link preview shows is the credential itself.
        og_image=f"{public_url}/{DownloadName.PNG}" if public_url else None,
        wallet_offer=wallet_offer,
        wallet_pickable=facts.wallet_pickable,
        wallet_minutes=get_settings().offer_minutes,
        **page_actions(credential, claim_path, public_url),
    )


async def _credential_page(
    request: Request,
    session: AsyncSession,
    t: Translator,
    credential: Credential,
    *,
    claim_path: str | None,
    wallet_offer: WalletOfferView | None = None,
) -> HTMLResponse:
    report, facts = await _page_facts(request, session, credential)
    return _credential_html(
        t, credential, report, facts, claim_path=claim_path, wallet_offer=wallet_offer
    )


@router.get("/claim/{token}", response_class=HTMLResponse)
async def claim_page(token: str, request: Request, session: DbSession) -> HTMLResponse:
    claimed = await sharing.open_claim(session, token)
    return await _credential_page(
        request, session, translator(request), claimed.credential, claim_path=f"/claim/{token}"
    )


def _back_to_claim(request: Request, token: str) -> Response:
    # 303: the browser follows with a GET, so reloading the page does not post the form again.
    lang = translator(request).language
    return RedirectResponse(
        f"/claim/{token}?lang={lang}",
        status_code=status.HTTP_303_SEE_OTHER,
        headers={**PAGE_HEADERS, **PRIVATE},
    )


@router.post("/claim/{token}/publish")
async def publish(token: str, request: Request, session: DbSession) -> Response:
    await sharing.publish(session, token)
    return _back_to_claim(request, token)


@router.post("/claim/{token}/unpublish")
async def unpublish(token: str, request: Request, session: DbSession) -> Response:
    claimed = await sharing.unpublish(session, token)
    response = _back_to_claim(request, token)
    # After the commit, so that no view in between puts the page back.
    response.background = BackgroundTask(public_cache.forget, claimed.credential.id)
    return response


@router.post("/claim/{token}/wallet", response_class=HTMLResponse)
async def offer_to_wallet(token: str, request: Request, session: DbSession) -> HTMLResponse:
    """The claim view with a new wallet offer. Answered directly, not redirected: the
    transaction code is shown this once and is kept nowhere to show again."""
    claimed = await sharing.open_claim(session, token, for_update=True)
    offer = await wallets.offer_by_learner(session, claimed.credential, claimed.actor)
    view = WalletOfferView(offer.offer_uri, one_time_qr_data_uri(offer.offer_uri), offer.tx_code)
    return await _credential_page(
        request,
        session,
        translator(request),
        claimed.credential,
        claim_path=f"/claim/{token}",
        wallet_offer=view,
    )


@router.get("/c/{public_id}", response_class=HTMLResponse)
async def public_page(public_id: str, request: Request) -> Response:
    if wants_credential(request.headers.get("accept", "")):
        return await published_credential(request, public_id)
    t = translator(request)

    async def draft(session: AsyncSession, credential: Credential) -> public_cache.PageDraft:
        report, facts = await _page_facts(request, session, credential)

        def html() -> HTMLResponse:
            page = _credential_html(t, credential, report, facts, claim_path=None)
            page.headers.update(VARY)
            return page

        return public_cache.PageDraft(facts, html)

    # Reads only (the page is not kept otherwise): each statement on its own, one round trip.
    sessionmaker = request.app.state.read_sessionmaker
    return await public_cache.public_page(sessionmaker, public_id, t.language, draft)


# Pages answer any address that names nothing they show (a NUL in it included) with their 404
# page, never with a problem.
mark_own_string_checks(router.routes)
