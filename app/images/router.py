"""Stored images, served to anyone: content-addressed, so cached for good."""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter, Request, Response

from app.db.session import DbSession
from app.http.strings import mark_own_string_checks
from app.images import service
from app.responses import problems

router = APIRouter(tags=["images (public)"])

_HEADERS: Final = {
    # The URL names the content's digest: it can never show anything else.
    "Cache-Control": "public, max-age=31536000, immutable",
    "X-Content-Type-Options": "nosniff",
    # Opened on its own, the image may do nothing but be shown.
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cross-Origin-Resource-Policy": "cross-origin",
}


@router.get(
    "/images/{sha256}.png",
    response_class=Response,
    responses={
        200: {"content": {"image/png": {"schema": {"type": "string", "format": "binary"}}}},
        304: {"description": "Not modified (If-None-Match names this image)"},
        **problems(404),
    },
    summary="An achievement image or institution logo, by the SHA-256 of its PNG bytes",
)
async def image(sha256: str, request: Request, session: DbSession) -> Response:
    etag = f'"{sha256}"'
    headers = {**_HEADERS, "ETag": etag}
    if etag in request.headers.get("if-none-match", "") and await service.exists(session, sha256):
        return Response(status_code=304, headers=headers)
    stored = await service.get(session, sha256)
    return Response(stored.data, media_type=stored.media_type, headers=headers)


# Content-addressed: an address that is not 64 hex digits names no image, a 404 like any other
# (the service checks it before a query), so NUL in it is not a field error.
mark_own_string_checks(router.routes)
