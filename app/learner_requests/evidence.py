"""The external credential of a request body: a compact JWT, or a baked badge in base64."""

from __future__ import annotations

import base64

import anyio.to_thread

from app.baking.extract import credential_from_file
from app.config import get_settings
from app.errors import CredentialNotReadable, PayloadTooLarge
from app.learner_requests.schemas import EvidenceIn
from app.verification.input import token_from_text


async def external_token(evidence: EvidenceIn) -> str | None:
    """The JWT to verify, read the way the verify page reads a pasted text or an upload."""
    text = evidence.external_credential
    if evidence.external_badge is not None:
        try:
            image = base64.b64decode(evidence.external_badge, validate=True)
        # binascii.Error for characters outside the alphabet, a plain ValueError for text that
        # is not even ASCII.
        except ValueError as exc:
            raise CredentialNotReadable(
                "external_badge is not base64.", reason="not_base64"
            ) from exc
        limit = get_settings().verify_upload_max_bytes
        if len(image) > limit:
            raise PayloadTooLarge(f"external_badge is larger than the {limit} bytes accepted.")
        text = await anyio.to_thread.run_sync(credential_from_file, image)
    if text is None:
        return None
    return token_from_text(text, get_settings().verification_max_token_bytes)
