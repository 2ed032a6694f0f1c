"""Key Binding JWTs (RFC 9901 §4.3 and §7.3): the holder shows it holds the ``cnf`` key, now,
for this verifier, over exactly the disclosures it presents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from app.keys.algorithms import Algorithm, PrivateKey, sign_compact
from app.sdjwt.disclosures import digest
from app.sdjwt.errors import (
    KeyBindingAudienceMismatch,
    KeyBindingHashMismatch,
    KeyBindingInvalid,
    KeyBindingNonceMismatch,
    KeyBindingStale,
)
from app.sdjwt.presentation import SdJwtParts
from app.verification.jws import (
    MalformedToken,
    algorithm_problem,
    key_problem,
    parse_compact,
    signature_valid,
)

KB_TYPE = "kb+jwt"


@dataclass(frozen=True, slots=True)
class Expectations:
    """What the verifier asked the holder for; None accepts whatever the KB-JWT says."""

    nonce: str | None
    audience: str | None
    max_age_seconds: int
    skew_seconds: int


def holder_key(payload: dict[str, Any]) -> dict[str, Any] | None:
    cnf = payload.get("cnf")
    jwk = cnf.get("jwk") if isinstance(cnf, dict) else None
    return jwk if isinstance(jwk, dict) else None


def check_key_binding(
    parts: SdJwtParts, jwk: dict[str, Any], expected: Expectations, now: datetime
) -> dict[str, Any]:
    """The KB-JWT's claims, once it is shown to be the holder's, fresh and over these parts."""
    try:
        parsed = parse_compact(parts.key_binding or "")
    except MalformedToken as error:
        raise KeyBindingInvalid(f"The KB-JWT is not a compact JWS: {error}.") from None
    header, claims = parsed.header, parsed.payload
    if header.get("typ") != KB_TYPE:
        raise KeyBindingInvalid(f"The KB-JWT's typ must be {KB_TYPE}.")
    problem = algorithm_problem(header) or key_problem(str(header.get("alg")), jwk)
    if problem:
        raise KeyBindingInvalid(f"The KB-JWT cannot be checked with the cnf key: {problem}.")
    if not signature_valid(parsed, jwk):
        raise KeyBindingInvalid("The KB-JWT is not signed by the holder key in cnf.")
    if claims.get("sd_hash") != digest(parts.presented):
        raise KeyBindingHashMismatch("The KB-JWT's sd_hash is not over the presented SD-JWT.")
    nonce, audience = claims.get("nonce"), claims.get("aud")
    if not isinstance(nonce, str) or (expected.nonce is not None and nonce != expected.nonce):
        raise KeyBindingNonceMismatch("The KB-JWT's nonce is not the one asked for.")
    if not isinstance(audience, str) or (
        expected.audience is not None and audience != expected.audience
    ):
        raise KeyBindingAudienceMismatch("The KB-JWT's aud is not this verifier.")
    iat = claims.get("iat")
    moment = int(now.timestamp())
    if (
        not isinstance(iat, int)
        or isinstance(iat, bool)
        or iat > moment + expected.skew_seconds
        or iat < moment - expected.max_age_seconds - expected.skew_seconds
    ):
        raise KeyBindingStale("The KB-JWT's iat is missing or outside the accepted window.")
    return claims


def make_key_binding(
    presented: str, key: PrivateKey, algorithm: Algorithm, nonce: str, audience: str, iat: int
) -> str:
    """A KB-JWT over ``presented`` (``<JWT>~<D>~…~``): what a holder appends."""
    payload = {"iat": iat, "aud": audience, "nonce": nonce, "sd_hash": digest(presented)}
    return sign_compact(key, algorithm, {"alg": algorithm, "typ": KB_TYPE}, orjson.dumps(payload))
