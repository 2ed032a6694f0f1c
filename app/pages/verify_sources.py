"""Where the verify page gets the credential from: the pasted text, an uploaded file, or a URL.

Each source ends in a compact JWT for the verifier, or in a domain error (or a ``FetchError`` for
a URL another server did not answer well) that the page puts in words. Uploads are bounded:
refused on their ``Content-Length`` or, without one, once more has arrived than the limit, so a
large upload is never read whole.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import anyio.to_thread
from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.types import Message, Receive

from app.baking.extract import credential_from_file
from app.config import get_settings
from app.errors import CredentialNotReadable, MalformedRequest, PayloadTooLarge
from app.pages.negotiation import CREDENTIAL_MEDIA_TYPE
from app.sharing import service as sharing
from app.verification.fetching import SafeFetcher
from app.verification.input import JWT_MEDIA_TYPES, token_from_body, token_from_text

# Room for the multipart boundaries, part headers and the small fields beside the file.
FORM_FRAMING_BYTES = 16 * 1024
MAX_URL_LENGTH = 2048


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"The upload is larger than the {limit} bytes this page accepts.")


def _replay(body: bytes) -> Receive:
    """An ASGI ``receive`` that hands over a body already read (and counted)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def read_form(request: Request, limit: int, *, max_fields: int = 4) -> FormData:
    """The posted form, refused with 413 as soon as it is known to exceed ``limit`` (+ framing)."""
    cap = limit + FORM_FRAMING_BYTES
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > cap:
        raise _too_large(limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > cap:
            raise _too_large(limit)
    counted = Request(request.scope, receive=_replay(bytes(body)))
    try:
        return await counted.form(max_files=1, max_fields=max_fields, max_part_size=cap)
    except (MultiPartException, HTTPException) as exc:
        raise MalformedRequest("The form could not be read.") from exc


async def token_from_form(form: FormData, limit: int) -> str:
    """The credential of the pasted text or of the uploaded file, whichever was given."""
    settings = get_settings()
    pasted = form.get("credential")
    text = pasted.strip() if isinstance(pasted, str) else ""
    upload = form.get("file")
    data = b""
    if isinstance(upload, UploadFile):
        data = await upload.read(limit + 1)
        if len(data) > limit:
            raise _too_large(limit)
    if text and data:
        raise CredentialNotReadable("Both a text and a file were given.", reason="both")
    if data:
        text = await anyio.to_thread.run_sync(credential_from_file, data)
    if not text:
        raise CredentialNotReadable("Nothing was pasted or uploaded.", reason="empty_form")
    return token_from_text(text, settings.verification_max_token_bytes)


async def token_at_url(session: AsyncSession, fetcher: SafeFetcher, url: str) -> str:
    """The credential behind a public credential page: ours from the database, others' fetched.

    Another server is asked for ``application/vc+jwt`` (a Stapel public page answers that with
    the compact JWT) through the ``SafeFetcher``, under its address, time and size rules.
    """
    settings = get_settings()
    if len(url) > MAX_URL_LENGTH or not url.isprintable():
        raise CredentialNotReadable("The address is not a URL.", reason="url_invalid")
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise CredentialNotReadable("The address is not a URL.", reason="url_invalid") from exc
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise CredentialNotReadable("Only http(s) addresses are read.", reason="url_invalid")
    ours = urlsplit(settings.public_base_url)
    if (parts.scheme.lower(), parts.netloc.lower()) == (ours.scheme, ours.netloc.lower()):
        prefix = f"{ours.path.rstrip('/')}/c/"
        if not parts.path.startswith(prefix):
            raise CredentialNotReadable(
                "The address is not a public credential page.", reason="url_not_credential_page"
            )
        credential = await sharing.public_credential(session, parts.path.removeprefix(prefix))
        return credential.jwt
    fetched = await fetcher.get(url, accept=CREDENTIAL_MEDIA_TYPE)
    media_type = fetched.content_type.split(";", maxsplit=1)[0].strip().lower()
    if media_type not in JWT_MEDIA_TYPES and not media_type.endswith("json"):
        raise CredentialNotReadable(
            f"The address answered with {media_type or 'no media type'}, not a credential.",
            reason="url_no_credential",
        )
    return token_from_body(media_type, fetched.body, settings.verification_max_token_bytes)
