"""Signed Credential Issuer Metadata (OpenID4VCI 1.0 §12.2.3).

A wallet that sends ``Accept: application/jwt`` receives the metadata as a JWT signed with the
institution's key and carrying its certificate chain (``x5c``), so an EU wallet can check who
the issuer is against its trust list before it asks for anything. Without a certificate there is
nothing a wallet could check the signature against, so the metadata stays unsigned JSON.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from app.certificates.chain import x5c
from app.certificates.service import chain_for_key
from app.config import get_settings
from app.errors import NotFound
from app.keys.service import signer_for
from app.oid4vci.metadata import credential_issuer, issuer_metadata
from app.oid4vci.service import issuer_of

SIGNED_METADATA_TYPE = "openidvci-issuer-metadata+jwt"
SIGNED_METADATA_MEDIA_TYPE = "application/jwt"


def wants_signed(accept: str | None) -> bool:
    return SIGNED_METADATA_MEDIA_TYPE in (accept or "").lower()


async def signed_issuer_metadata(session: AsyncSession, slug: str) -> str | None:
    """The metadata as a JWT with ``x5c``; None while the institution's key has no certificate."""
    institution = await issuer_of(session, slug)
    try:
        signer = await signer_for(session, institution)
    except NotFound:
        return None
    now = datetime.now(UTC)
    chain = await chain_for_key(session, signer.key_id, now)
    if chain is None:
        return None
    metadata: dict[str, Any] = issuer_metadata(
        institution, signer.algorithm, get_settings().wallet_batch_size
    )
    issuer = credential_issuer(institution.slug)
    payload = {**metadata, "sub": issuer, "iss": issuer, "iat": int(now.timestamp())}
    header = {"alg": signer.algorithm, "typ": SIGNED_METADATA_TYPE, "x5c": x5c(chain)}
    return signer.sign(header, orjson.dumps(payload))
