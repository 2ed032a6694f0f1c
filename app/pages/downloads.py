"""What a learner or verifier takes away from a credential page.

``credential.jwt`` (the compact JWS, as signed), ``credential.json`` (the credential it
secures, for reading), and the badge image with the credential baked in (``badge.png``,
``badge.svg``; Open Badges 3.0 baking). They live under the page they belong to, so they follow
its rules: under ``/claim/{token}`` the claim link's (404 unknown, 410 expired or replaced,
never cached), under ``/c/{public_id}`` the public page's (404 once unpublished).
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum
from typing import Any, TypedDict

import orjson
from fastapi import APIRouter, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.baking import service as baking
from app.credentials.models import Credential
from app.db.session import DbSession
from app.http.strings import mark_own_string_checks
from app.images import service as images
from app.institutions import cache as institutions
from app.pages.linkedin import add_certification_url
from app.pages.routing import PageRoute
from app.pages.security import PAGE_HEADERS, PRIVATE, PUBLIC
from app.sharing import service as sharing

router = APIRouter(route_class=PageRoute, include_in_schema=False)

# The media type of the compact JWS follows its header's typ: vc+jwt for the W3C profile;
# the OB 3.0 and VCDM 1.1 profiles sign typ JWT.
_JWT_MEDIA_TYPES = {"vc-jose": "application/vc+jwt"}


class PageImages(TypedDict):
    image_url: str | None
    logo_url: str | None


class PageActions(TypedDict):
    downloads_path: str | None
    linkedin_url: str | None


class DownloadName(StrEnum):
    JWT = "credential.jwt"
    JSON = "credential.json"
    PNG = "badge.png"
    SVG = "badge.svg"


def _file_stem(document: dict[str, Any]) -> str:
    """An ASCII file name from the achievement's title: "Data & Society" -> data-society."""
    title = baking.face_of(document).title
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:80].rstrip("-")
    return stem or "credential"


async def _download(
    session: AsyncSession, credential: Credential, name: DownloadName, caching: dict[str, str]
) -> Response:
    document = credential.document
    stem = _file_stem(document)
    content: bytes
    if name is DownloadName.JWT:
        content = credential.jwt.encode()
        media_type = _JWT_MEDIA_TYPES.get(credential.profile, "application/jwt")
        filename = f"{stem}.jwt"
    elif name is DownloadName.JSON:
        content = orjson.dumps(document, option=orjson.OPT_INDENT_2)
        media_type, filename = "application/ld+json", f"{stem}.json"
    elif name is DownloadName.PNG:
        content = await baking.badge_png(session, document, credential.jwt)
        media_type, filename = "image/png", f"{stem}.png"
    else:
        content = await baking.badge_svg(session, document, credential.jwt)
        media_type, filename = "image/svg+xml", f"{stem}.svg"
    return Response(
        content,
        media_type=media_type,
        headers={
            **PAGE_HEADERS,
            **caching,
            "Content-Disposition": f'attachment; filename="{filename}"',
            # What the pages' robots meta tag says, for files that have no such tag.
            "X-Robots-Tag": "noindex, nofollow",
        },
    )


@router.get("/claim/{token}/{name}")
async def claim_download(token: str, name: DownloadName, session: DbSession) -> Response:
    claimed = await sharing.open_claim(session, token)
    return await _download(session, claimed.credential, name, PRIVATE)


@router.get("/c/{public_id}/{name}")
async def public_download(public_id: str, name: DownloadName, session: DbSession) -> Response:
    credential = await sharing.public_credential(session, public_id)
    return await _download(session, credential, name, PUBLIC)


async def page_images(session: AsyncSession, credential: Credential) -> PageImages:
    """The achievement image and institution logo a credential page shows, from this host.

    The achievement image is the one the credential was signed with. The logo is the
    institution's current one: branding, not part of the claim. Either is shown only when it is
    stored here, as the pages load nothing from another host; without an image of its own the
    achievement shows the default artwork (inline, as a data: URL).
    """
    image = baking.achievement_image_path(credential.document)
    if image is None:
        image = baking.default_artwork_uri(credential.document)
    institution = await institutions.institution_by_id(session, credential.institution_id)
    logo = images.digest_of_url(institution.logo_url) if institution else None
    return PageImages(image_url=image, logo_url=images.image_path(logo) if logo else None)


def page_actions(
    credential: Credential, claim_path: str | None, public_url: str | None
) -> PageActions:
    """The template context of the actions block: where the downloads are, the LinkedIn link.

    LinkedIn's link is for the learner (the claim view), and only while the credential has a
    public address it can point at.
    """
    base = claim_path or (f"/c/{credential.public_id}" if credential.public_id else None)
    linkedin = (
        add_certification_url(credential.document, public_url)
        if claim_path is not None and public_url
        else None
    )
    return PageActions(downloads_path=base, linkedin_url=linkedin)


# Pages answer any address that names nothing they show (a NUL in it included) with their 404
# page, never with a problem.
mark_own_string_checks(router.routes)
