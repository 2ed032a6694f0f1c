"""A public credential page gives a verifier the credential itself when asked for it.

``/c/{public_id}`` with ``Accept: application/vc+jwt`` answers the compact JWT instead of the
page, so a verifier holding only the address a learner shared (another Stapel's verify page
among them) can check the credential. Browsers, which send ``*/*`` at most, get the page.
"""

from __future__ import annotations

from typing import Final

from fastapi import Request, Response

from app.db.session import session_if_used
from app.pages.security import PUBLIC
from app.sharing import service as sharing

CREDENTIAL_MEDIA_TYPE: Final = "application/vc+jwt"
# Both answers live at one address, chosen by these request headers.
VARY: Final = {"Vary": "Accept, Accept-Language"}


def wants_credential(accept: str) -> bool:
    """Whether ``Accept`` names ``application/vc+jwt`` explicitly, at least as wanted as HTML."""
    wanted = {CREDENTIAL_MEDIA_TYPE: 0.0, "text/html": 0.0}
    for part in accept.lower().split(",")[:32]:
        media_type, _, params = part.partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        media_type = media_type.strip()
        if media_type in ("text/html", "text/*", "*/*"):
            wanted["text/html"] = max(wanted["text/html"], quality)
        elif media_type == CREDENTIAL_MEDIA_TYPE:
            wanted[CREDENTIAL_MEDIA_TYPE] = max(wanted[CREDENTIAL_MEDIA_TYPE], quality)
    return 0 < wanted[CREDENTIAL_MEDIA_TYPE] >= wanted["text/html"]


async def published_credential(request: Request, public_id: str) -> Response:
    """The compact JWT of the credential published at ``public_id`` (404 page if none)."""
    async with session_if_used(request.app.state.sessionmaker) as session:
        credential = await sharing.public_credential(session, public_id)
    return Response(credential.jwt, media_type=CREDENTIAL_MEDIA_TYPE, headers={**PUBLIC, **VARY})
