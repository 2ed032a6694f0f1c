"""Issuing the Learning Credential as an SD-JWT VC from a credential record.

The same record as the Open Badges credential: the claims come from its signed document, its
validity from the record, and its status from the record's Token Status List entry, which
revoking the record sets too. Only the holder's key (``cnf``) differs between copies.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import AuditEntry, record
from app.auth.principal import Principal
from app.certificates.chain import x5c
from app.certificates.service import chain_for_key
from app.credentials import repository as credentials
from app.credentials.models import Credential
from app.errors import InvalidState, NotFound
from app.eudi.learning import VCT, learning_claims
from app.institutions.models import Institution
from app.institutions.service import institution_of
from app.keys.did import issuer_base_url
from app.keys.service import signer_for
from app.keys.signer import Signer
from app.sdjwt.issuance import conceal, serialise
from app.token_status.service import allocate_entry

SD_JWT_VC_TYPE = "dc+sd-jwt"


def issuer_identifier(slug: str) -> str:
    """The ``iss`` of our SD-JWT VCs: also the OpenID4VCI Credential Issuer identifier."""
    return issuer_base_url(slug)


async def learning_credential(
    session: AsyncSession,
    institution: Institution,
    credential: Credential,
    holder_jwk: dict[str, Any],
    now: datetime,
    signer: Signer | None = None,
) -> str:
    """The signed SD-JWT VC with every disclosure (``<JWT>~<D1>~…~<Dn>~``), bound to the holder."""
    signer = signer or await signer_for(session, institution)
    entry = await allocate_entry(session, institution.id, credential.id)
    visible: dict[str, Any] = {
        "iss": issuer_identifier(institution.slug),
        "vct": VCT,
        "iat": int(now.timestamp()),
        "nbf": int(credential.issued_at.timestamp()),
        "cnf": {"jwk": holder_jwk},
        "status": entry.claim(),
    }
    if credential.valid_until is not None:
        visible["exp"] = int(credential.valid_until.timestamp())
    payload, disclosures = conceal(visible, learning_claims(credential.document))
    header: dict[str, Any] = {"typ": SD_JWT_VC_TYPE, "alg": signer.algorithm}
    chain = await chain_for_key(session, signer.key_id, now)
    if chain is not None:
        header["x5c"] = x5c(chain)
    else:
        header["kid"] = signer.kid
    return serialise(signer.sign(header, orjson.dumps(payload)), disclosures)


async def download_for_staff(
    session: AsyncSession,
    principal: Principal,
    credential_id: uuid.UUID,
    holder_jwk: dict[str, Any],
) -> str:
    """The Learning Credential of one of the institution's credentials, for a key staff supply."""
    institution = await institution_of(session, principal)
    credential = await credentials.get(session, principal.tenant(), credential_id)
    if credential is None:
        raise NotFound("No such credential.")
    now = datetime.now(UTC)
    if credential.state != "active":
        raise InvalidState(f"A {credential.state} credential is not issued again.")
    if credential.valid_until is not None and credential.valid_until <= now:
        raise InvalidState("An expired credential is not issued again.")
    sd_jwt = await learning_credential(session, institution, credential, holder_jwk, now)
    await record(
        session,
        principal.actor,
        AuditEntry(
            "credential.sd_jwt_vc_issued",
            "credential",
            str(credential.id),
            institution.id,
            {"vct": VCT, "holder_key": holder_jwk.get("kty")},
        ),
    )
    return sd_jwt
