"""What each securing profile demands of a JWT, and the credential inside it."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any, TypeGuard

from app.verification.jws import CompactJws

VC_V1 = "https://www.w3.org/2018/credentials/v1"
VC_V2 = "https://www.w3.org/ns/credentials/v2"
_VC_JOSE_TYPES = ("vc+jwt", "vc+ld+json+jwt")
# A VCDM 1.1 JWT is a plain JWT: typ "JWT" (RFC 7519) or none at all. A typ is a media type,
# compared without case and with "application/" implied (RFC 7515, 4.1.9).
_VC_JWT_11_TYPES = ("jwt", "application/jwt")
_OB3_ALGORITHMS = ("RS256", "ES256")
_OB3_TYPES = ("OpenBadgeCredential", "AchievementCredential")


def detect_profile(parsed: CompactJws) -> str | None:
    header, payload = parsed.header, parsed.payload
    typ = header.get("typ")
    if typ in _VC_JOSE_TYPES:
        return "vc-jose"
    if isinstance(payload.get("vc"), dict):
        return "vc-jwt-11"
    if typ in ("JWT", None) and "@context" in payload and "type" in payload:
        return "ob3-jwt"
    return None


def header_problem(profile: str, parsed: CompactJws) -> str | None:
    header = parsed.header
    if "crit" in header:
        return f"unknown critical header parameters {header['crit']!r}"
    if not isinstance(header.get("kid"), str) or not header["kid"]:
        return "no kid: the signing key cannot be identified"
    return _profile_header_problem(profile, header, parsed.payload)


def _profile_header_problem(
    profile: str, header: dict[str, Any], payload: dict[str, Any]
) -> str | None:
    if profile == "vc-jose":
        if header.get("cty") not in (None, "vc", "vc+ld+json"):
            return f"cty {header.get('cty')!r} is not a credential media type"
        if "vc" in payload or "vp" in payload:
            return "a vc-jose payload is the credential itself: vc and vp claims are not allowed"
    if profile == "vc-jwt-11" and not _plain_jwt_typ(header.get("typ")):
        return f"a vc-jwt-11 credential has typ JWT or none, not {header.get('typ')!r}"
    if profile == "ob3-jwt" and header.get("alg") not in _OB3_ALGORITHMS:
        return f"Open Badges 3.0 JWTs are signed with RS256 or ES256, not {header.get('alg')}"
    return None


def _plain_jwt_typ(typ: object) -> bool:
    return typ is None or (isinstance(typ, str) and typ.lower() in _VC_JWT_11_TYPES)


def credential_of(profile: str, payload: dict[str, Any]) -> dict[str, Any]:
    if profile == "vc-jwt-11":
        vc: dict[str, Any] = payload["vc"]
        return vc
    return {k: v for k, v in payload.items() if k not in _JWT_CLAIMS}


_JWT_CLAIMS = frozenset({"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "cnf"})


def issuer_id(credential: dict[str, Any]) -> str | None:
    issuer = credential.get("issuer")
    if isinstance(issuer, dict):
        issuer = issuer.get("id")
    return issuer if isinstance(issuer, str) and issuer else None


def subject_id(credential: dict[str, Any]) -> str | None:
    subject = credential.get("credentialSubject")
    if isinstance(subject, dict) and isinstance(subject.get("id"), str):
        return str(subject["id"])
    return None


def shape_problem(profile: str, credential: dict[str, Any]) -> str | None:
    """The minimum of the VC data model the rest of verification relies on."""
    contexts = credential.get("@context")
    first = VC_V1 if profile == "vc-jwt-11" else VC_V2
    if not isinstance(contexts, list) or not contexts or contexts[0] != first:
        return f"@context must be a list starting with {first}"
    types = credential.get("type")
    if not isinstance(types, list) or "VerifiableCredential" not in types:
        return "type must be a list containing VerifiableCredential"
    if issuer_id(credential) is None:
        return "the credential has no issuer id"
    if not isinstance(credential.get("credentialSubject"), dict | list):
        return "the credential has no credentialSubject"
    return None


def claims_problem(profile: str, parsed: CompactJws, credential: dict[str, Any]) -> str | None:
    """Registered JWT claims, where present, must say what the credential says."""
    payload = parsed.payload
    expected = {
        "iss": issuer_id(credential),
        "jti": credential.get("id"),
        "sub": subject_id(credential),
    }
    for claim, value in expected.items():
        if claim in payload and value is not None and payload[claim] != value:
            return f"{claim} {payload[claim]!r} does not match the credential ({value!r})"
    if profile == "ob3-jwt" and payload.get("iss") != expected["iss"]:
        return "an Open Badges 3.0 JWT must carry iss equal to issuer.id"
    return numeric_date_problem(payload)


NUMERIC_DATE_CLAIMS = ("iat", "nbf", "exp")


def numeric_date_problem(payload: dict[str, Any]) -> str | None:
    """RFC 7519 NumericDates are JSON numbers of seconds, in every profile: a date string or a
    boolean is refused rather than guessed at, and so is a number no calendar date can have."""
    for claim in NUMERIC_DATE_CLAIMS:
        if claim not in payload:
            continue
        value = payload[claim]
        if not _is_number(value):
            return f"{claim} must be a NumericDate (a JSON number), not {_json_type(value)}"
        if _moment(value) is None:
            return f"{claim} {value!r} is outside the range of dates"
    return None


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_numeric_date(value: object) -> TypeGuard[int | float]:
    return _is_number(value) and _moment(value) is not None


def _moment(seconds: float) -> datetime | None:
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, ValueError, OSError):
        return None


_JSON_TYPES = {bool: "a boolean", str: "a string", type(None): "null", list: "an array"}


def _json_type(value: object) -> str:
    return _JSON_TYPES.get(type(value), "an object" if isinstance(value, dict) else "a number")


def parse_datetime(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def validity_problem(
    profile: str, parsed: CompactJws, credential: dict[str, Any], now: datetime, skew: timedelta
) -> str | None:
    starts = "issuanceDate" if profile == "vc-jwt-11" else "validFrom"
    ends = "expirationDate" if profile == "vc-jwt-11" else "validUntil"
    not_before = [parse_datetime(credential.get(starts))] if starts in credential else []
    not_after = [parse_datetime(credential.get(ends))] if ends in credential else []
    if None in not_before or None in not_after:
        return f"{starts}/{ends} must be date-times"
    for claim, bucket in (("nbf", not_before), ("exp", not_after)):
        if _is_numeric_date(parsed.payload.get(claim)):
            bucket.append(_moment(parsed.payload[claim]))
    if any(moment and moment > now + skew for moment in not_before):
        return "the credential is not valid yet"
    if any(moment and moment < now - skew for moment in not_after):
        return "the credential has expired"
    return None
