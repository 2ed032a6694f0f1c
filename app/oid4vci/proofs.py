"""Key proofs (OpenID4VCI 1.0 §8.2.1.1, ``openid4vci-proof+jwt``): whose key, and is it live.

A proof names the holder's key as a ``jwk`` header (bound as ``did:jwk``) or as a ``kid`` that
is a ``did:jwk`` or ``did:key`` DID URL (P-256 or Ed25519); nothing here is fetched from
anywhere. ``x5c`` is refused: no certificate chain of a wallet is checked here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from app.base64url import b64url
from app.oid4vci.errors import InvalidProof
from app.verification.did_key import resolve_did_key
from app.verification.errors import KeyResolutionError
from app.verification.jws import (
    MalformedToken,
    key_problem,
    parse_compact,
    signature_valid,
)
from app.verification.resolver import public_jwk, resolve_did_jwk

PROOF_TYPE = "openid4vci-proof+jwt"
PROOF_ALGORITHMS = ("ES256", "EdDSA")
BINDING_METHODS = ("jwk", "did:jwk", "did:key")
MAX_PROOF_BYTES = 16_384


@dataclass(frozen=True, slots=True)
class ProvenKey:
    """A holder key the wallet showed it holds, and the c_nonce it signed."""

    holder_did: str
    jwk: dict[str, Any]
    nonce: str


def read_proof(
    token: object, *, audience: str, now: datetime, max_age_seconds: int, skew_seconds: int
) -> ProvenKey:
    """The proven key of one proof JWT; InvalidProof naming the first thing wrong with it.

    The nonce is returned unchecked: whether it is live is the database's to say.
    """
    if not isinstance(token, str) or len(token) > MAX_PROOF_BYTES:
        raise InvalidProof("Each proof must be a compact JWT string.")
    try:
        parsed = parse_compact(token)
    except MalformedToken as error:
        raise InvalidProof(f"The proof is not a compact JWT: {error}.") from None
    header, payload = parsed.header, parsed.payload
    if header.get("typ") != PROOF_TYPE:
        raise InvalidProof(f"The proof's typ must be {PROOF_TYPE}.")
    alg = header.get("alg")
    if alg not in PROOF_ALGORITHMS:
        raise InvalidProof(f"The proof must be signed with one of {', '.join(PROOF_ALGORITHMS)}.")
    holder_did, jwk = _holder_key(header)
    if (problem := key_problem(alg, jwk)) is not None:
        raise InvalidProof(f"The proof's key does not fit its algorithm: {problem}.")
    if not signature_valid(parsed, jwk):
        raise InvalidProof("The proof's signature does not verify with the key it names.")
    _check_claims(payload, audience, now, max_age_seconds, skew_seconds)
    return ProvenKey(holder_did, jwk, payload["nonce"])


def _check_claims(
    payload: dict[str, Any], audience: str, now: datetime, max_age: int, skew: int
) -> None:
    if payload.get("aud") != audience:
        raise InvalidProof(f"The proof's aud must be the credential issuer, {audience}.")
    iat = payload.get("iat")
    if not isinstance(iat, int) or isinstance(iat, bool):
        raise InvalidProof("The proof's iat must be a NumericDate (an integer).")
    moment = int(now.timestamp())
    if iat > moment + skew or iat < moment - max_age - skew:
        raise InvalidProof("The proof's iat is too far from now; sign a fresh proof.")
    if not isinstance(payload.get("nonce"), str):
        raise InvalidProof("The proof must carry the c_nonce from the nonce endpoint.")


def _holder_key(header: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    if "x5c" in header:
        raise InvalidProof("Keys in certificate chains (x5c) are not accepted; send jwk or kid.")
    if ("jwk" in header) == ("kid" in header):
        raise InvalidProof("A proof names its key with exactly one of jwk and kid.")
    try:
        if "jwk" in header:
            jwk = public_jwk(header["jwk"])
            return did_jwk(jwk), jwk
        kid = header["kid"]
        if not isinstance(kid, str):
            raise InvalidProof("The proof's kid must be a DID URL.")
        if kid.startswith("did:jwk:"):
            resolved = resolve_did_jwk(kid)
            return resolved.controller, resolved.jwk
        if kid.startswith("did:key:"):
            resolved = resolve_did_key(kid)
            return resolved.controller, resolved.jwk
    except KeyResolutionError as error:
        raise InvalidProof(f"The proof's key cannot be read: {error}.") from None
    raise InvalidProof("The proof's kid must be a did:jwk or did:key DID URL.")


def did_jwk(jwk: dict[str, Any]) -> str:
    """``did:jwk`` of a public key: its members (public ones only) as sorted, compact JSON."""
    members = {k: jwk[k] for k in ("crv", "kty", "x", "y") if k in jwk}
    return "did:jwk:" + b64url(orjson.dumps(members, option=orjson.OPT_SORT_KEYS))
