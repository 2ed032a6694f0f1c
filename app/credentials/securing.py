"""The three securing profiles: one internal VCDM 2.0 credential, three compact JWS envelopes.

* ``vc-jose``  — W3C VC-JOSE-COSE: ``typ: vc+jwt``, ``cty: vc``, ``kid`` a DID URL; the payload
  is the credential itself plus ``iss`` and ``iat``.
* ``ob3-jwt``  — 1EdTech Open Badges 3.0: header ``alg``/``kid``/``typ: JWT`` with ``kid`` a URL
  that dereferences to the bare JWK; payload the credential plus ``iss``, ``jti``, ``nbf``,
  ``sub`` and ``exp``.
* ``vc-jwt-11`` — VCDM 1.1 JWT with a ``vc`` claim, as OpenID4VCI ``jwt_vc_json`` wallets expect.

NumericDates are always integers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, get_args

import orjson

from app.config import SecuringProfileName
from app.contexts import STATUS_V1, VC_V1, VC_V2
from app.credentials.ob3_schema import (
    OB3_SCHEMA_URL,
    STATUS_LISTS_SCHEMA_PATH,
    VCDM11_SCHEMA_PATH,
    schema_url,
)
from app.keys.signer import Signer

PROFILES: tuple[SecuringProfileName, ...] = get_args(SecuringProfileName)

# OB 3.0 allows RS256 and ES256 only.
PROFILE_ALGORITHMS: dict[SecuringProfileName, frozenset[str]] = {
    "vc-jose": frozenset({"ES256", "RS256", "EdDSA"}),
    "ob3-jwt": frozenset({"ES256", "RS256"}),
    "vc-jwt-11": frozenset({"ES256", "RS256", "EdDSA"}),
}


def numeric_date(value: str) -> int:
    return int(datetime.fromisoformat(value).timestamp())


def issuer_id(credential: dict[str, Any]) -> str:
    issuer = credential["issuer"]
    return str(issuer["id"] if isinstance(issuer, dict) else issuer)


def _subject_id(credential: dict[str, Any]) -> str | None:
    subject = credential.get("credentialSubject")
    if isinstance(subject, dict) and isinstance(subject.get("id"), str):
        return str(subject["id"])
    return None


def _registered_claims(credential: dict[str, Any]) -> dict[str, Any]:
    claims: dict[str, Any] = {"iss": issuer_id(credential), "jti": credential["id"]}
    claims["nbf"] = numeric_date(credential["validFrom"])
    if (subject := _subject_id(credential)) is not None:
        claims["sub"] = subject
    if "validUntil" in credential:
        claims["exp"] = numeric_date(credential["validUntil"])
    return claims


def as_vcdm11(credential: dict[str, Any]) -> dict[str, Any]:
    """The same credential in the VCDM 1.1 vocabulary: contexts, dates and the schema it passes.

    The 1.1 context lacks the Bitstring Status List terms that VCDM 2.0's context defines, so
    the status list context is added after the others; an Open Badges credential names Stapel's
    VCDM 1.1 variant of the OB 3.0 schema instead of one written for VCDM 2.0.
    """
    converted = dict(credential)
    contexts = [c for c in credential["@context"] if c != VC_V2]
    if "credentialStatus" in credential and STATUS_V1 not in contexts:
        contexts.append(STATUS_V1)
    converted["@context"] = [VC_V1, *contexts]
    converted["issuanceDate"] = converted.pop("validFrom")
    if "validUntil" in converted:
        converted["expirationDate"] = converted.pop("validUntil")
    if "credentialSchema" in converted:
        converted["credentialSchema"] = _schemas_for_vcdm11(converted["credentialSchema"])
    return converted


def _schemas_for_vcdm11(schemas: Any) -> Any:
    written_for_vcdm2 = {OB3_SCHEMA_URL, schema_url(STATUS_LISTS_SCHEMA_PATH)}
    if not isinstance(schemas, list):
        return schemas
    return [
        {**schema, "id": schema_url(VCDM11_SCHEMA_PATH)}
        if isinstance(schema, dict) and schema.get("id") in written_for_vcdm2
        else schema
        for schema in schemas
    ]


def secure(
    credential: dict[str, Any], signer: Signer, profile: SecuringProfileName, issued_at: datetime
) -> str:
    iat = int(issued_at.timestamp())
    if profile == "vc-jose":
        header = {"alg": signer.algorithm, "kid": signer.did_url, "typ": "vc+jwt", "cty": "vc"}
        payload = {**credential, "iss": issuer_id(credential), "iat": iat}
    elif profile == "ob3-jwt":
        header = {"alg": signer.algorithm, "kid": signer.key_url, "typ": "JWT"}
        payload = {**credential, **_registered_claims(credential)}
    else:
        header = {"alg": signer.algorithm, "kid": signer.did_url, "typ": "JWT"}
        payload = {**_registered_claims(credential), "iat": iat, "vc": as_vcdm11(credential)}
    return signer.sign(header, orjson.dumps(payload))
