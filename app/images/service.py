"""Stored images: preparing uploads, keeping them by content, and their public addresses."""

from __future__ import annotations

import re
from typing import Final

import anyio
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import get_settings
from app.errors import NotFound
from app.images import repository
from app.images.models import StoredImage
from app.images.processing import PreparedImage, prepare

PATH_PREFIX: Final = "/images/"
_DIGEST = re.compile(r"[0-9a-f]{64}")


def image_path(sha256: str) -> str:
    """The image's address on this host; pages use it, as their policy allows only 'self'."""
    return f"{PATH_PREFIX}{sha256}.png"


def image_url(sha256: str) -> str:
    """The absolute URL that documents (an OB3 ``image``, a profile's logo) carry."""
    return get_settings().public_base_url + image_path(sha256)


def digest_of_url(url: object) -> str | None:
    """The digest of one of our own image URLs; None for anything else, another host's too."""
    if not isinstance(url, str):
        return None
    prefix = get_settings().public_base_url + PATH_PREFIX
    digest = url.removeprefix(prefix).removesuffix(".png")
    return digest if url.startswith(prefix) and _DIGEST.fullmatch(digest) else None


async def prepare_upload(raw: bytes) -> PreparedImage:
    """Decode and re-encode in a worker thread: a large image takes a few hundred ms of CPU."""
    return await anyio.to_thread.run_sync(prepare, raw)


async def save(session: AsyncSession, image: PreparedImage) -> str:
    """Store a prepared image (once per content); its public URL."""
    await repository.insert_if_absent(
        session,
        StoredImage(
            sha256=image.sha256,
            media_type="image/png",
            data=image.png,
            width=image.width,
            height=image.height,
        ),
    )
    return image_url(image.sha256)


def _checked(sha256: str) -> str:
    # A digest is 64 lowercase hex digits; anything else (a NUL byte included) never reaches SQL.
    if not _DIGEST.fullmatch(sha256):
        raise NotFound("No such image.")
    return sha256


async def get(session: AsyncSession, sha256: str) -> StoredImage:
    image = await repository.get(session, _checked(sha256))
    if image is None:
        raise NotFound("No such image.")
    return image


async def exists(session: AsyncSession, sha256: str) -> bool:
    return await repository.exists(session, _checked(sha256))


async def png_by_url(session: AsyncSession, url: object) -> bytes | None:
    """The PNG behind one of our image URLs, or None (no such URL of ours, or no such image)."""
    digest = digest_of_url(url)
    found = await repository.get(session, digest) if digest else None
    return found.data if found else None
