"""A credential's badge: the achievement's image, or the default artwork, with the JWT baked in.

The image is the one the signed credential names (``credentialSubject.achievement.image``) when
that is an image stored here; an image on another host is never fetched, and a credential
without an image of ours gets the default artwork. The artwork speaks the achievement's
language when it is one of the pages' languages, so a credential's badge is always the same
bytes, whoever downloads it.
"""

from __future__ import annotations

from typing import Any

import anyio
from sqlalchemy.ext.asyncio import AsyncSession

from app.baking.artwork import (
    BadgeFace,
    Kind,
    default_png,
    default_svg,
    png_in_svg,
    svg_data_uri,
)
from app.baking.bake import bake_png, bake_svg
from app.images import service as images
from app.pages.i18n import DEFAULT, LANGUAGES, Translator


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _achievement(document: dict[str, Any]) -> dict[str, Any]:
    return _dict(_dict(document.get("credentialSubject")).get("achievement"))


def _image_id(achievement: dict[str, Any]) -> object:
    image = achievement.get("image")
    return _dict(image).get("id") if isinstance(image, dict) else image


def face_of(document: dict[str, Any]) -> BadgeFace:
    """What the default artwork shows for this credential."""
    achievement = _achievement(document)
    kind: Kind = "unknown"
    if achievement.get("microCredentialKind") in ("formal", "informal"):
        kind = achievement["microCredentialKind"]
    language = achievement.get("inLanguage")
    t = Translator(language if language in LANGUAGES else DEFAULT)
    title = achievement.get("name") or document.get("name")
    issuer = _dict(document.get("issuer")).get("name")
    return BadgeFace(
        title=title if isinstance(title, str) else "",
        institution=issuer if isinstance(issuer, str) else "",
        kind=kind,
        kind_label=t(f"kind.{kind}"),
    )


async def achievement_png(session: AsyncSession, document: dict[str, Any]) -> bytes | None:
    """The achievement's own image, when the credential names one stored here."""
    return await images.png_by_url(session, _image_id(_achievement(document)))


def achievement_image_path(document: dict[str, Any]) -> str | None:
    """The same image's path on this host, for a page (whose policy allows only 'self')."""
    digest = images.digest_of_url(_image_id(_achievement(document)))
    return images.image_path(digest) if digest else None


async def badge_png(session: AsyncSession, document: dict[str, Any], token: str) -> bytes:
    image = await achievement_png(session, document)
    if image is None:
        # Drawing the artwork takes tens of milliseconds the first time: not on the event loop.
        image = await anyio.to_thread.run_sync(default_png, face_of(document))
    return bake_png(image, token)


async def badge_svg(session: AsyncSession, document: dict[str, Any], token: str) -> bytes:
    own = await achievement_png(session, document)
    face = face_of(document)
    return bake_svg(png_in_svg(own, face.title) if own else None, token, face)


def default_artwork_uri(document: dict[str, Any]) -> str:
    """The default artwork as a data: URL, for a page showing a credential without an image."""
    return svg_data_uri(default_svg(face_of(document)))
