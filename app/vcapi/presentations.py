"""Verifying a presentation (VC-API ``POST /presentations/verify``).

Two kinds are taken:

* a presentation secured by its holder as a ``vp+jwt`` (VC-JOSE-COSE): a compact JWS, its
  ``data:application/vp+jwt,`` URL, or an ``EnvelopedVerifiablePresentation`` holding that URL.
  The holder's key is named by ``kid`` as a ``did:jwk`` or ``did:key`` DID URL (a wallet's own
  key; nothing is fetched), and must be the ``holder``'s. The verifier's ``challenge`` and
  ``domain`` are compared with the signed ``nonce`` and ``aud``, so a presentation made for
  another verifier, or replayed, does not pass;
* an unsecured ``VerifiablePresentation`` holding enveloped credentials. Nothing binds it to a
  holder, so it cannot answer a challenge or a domain: asking for one fails it.

Each credential inside is verified exactly as ``POST /v1/verify`` verifies one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import get_settings
from app.errors import FieldError, TokenTooLarge, ValidationFailed
from app.verification import service as verification
from app.verification.did_key import resolve_did_key
from app.verification.errors import KeyResolutionError
from app.verification.fetching import SafeFetcher
from app.verification.input import token_from_value
from app.verification.jws import (
    CompactJws,
    MalformedToken,
    algorithm_problem,
    key_problem,
    parse_compact,
    signature_valid,
)
from app.verification.profiles import VC_V2
from app.verification.report import Report
from app.verification.resolver import ResolvedKey, resolve_did_jwk
from app.verification.schemas import VerificationOut

VP_JWT_TYPE = "vp+jwt"
VP_DATA_URL = "data:application/vp+jwt,"
# Enough for any realistic presentation, and a bound on the work one request can ask for.
MAX_PRESENTED_CREDENTIALS = 16
_NUMERIC_DATES = ("exp", "nbf", "iat")


@dataclass(frozen=True, slots=True)
class Expectations:
    """What the verifier asked the holder to sign: challenge (``nonce``) and domain (``aud``)."""

    challenge: str | None = None
    domain: str | None = None


@dataclass(slots=True)
class PresentationResult:
    checks: Report
    holder: str | None = None
    presentation: dict[str, Any] | None = None
    credentials: list[VerificationOut] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        return not self.checks.failures() and all(c.verified for c in self.credentials)


def _unsupported(detail: str, pointer: str) -> ValidationFailed:
    return ValidationFailed(
        detail, errors=[FieldError(pointer, detail, "unsupported_presentation")]
    )


def read_presentation(value: object) -> tuple[str | None, dict[str, Any] | None]:
    """The presentation's compact JWS, or the unsecured presentation itself."""
    pointer = "#/verifiablePresentation"
    if isinstance(value, str):
        return value.removeprefix(VP_DATA_URL).strip(), None
    if not isinstance(value, dict):
        raise _unsupported("Expected a vp+jwt or a presentation object.", pointer)
    types = value.get("type")
    types = types if isinstance(types, list) else [types]
    if "EnvelopedVerifiablePresentation" in types:
        contexts = value.get("@context")
        contexts = contexts if isinstance(contexts, list) else [contexts]
        if not contexts or contexts[0] != VC_V2:
            raise _unsupported(
                f"An envelope's @context starts with {VC_V2}.", f"{pointer}/@context"
            )
        envelope_id = value.get("id")
        if not isinstance(envelope_id, str) or not envelope_id.startswith(VP_DATA_URL):
            raise _unsupported(f"An envelope's id is a {VP_DATA_URL} URL.", f"{pointer}/id")
        return envelope_id.removeprefix(VP_DATA_URL).strip(), None
    if "VerifiablePresentation" in types:
        if "proof" in value:
            raise _unsupported(
                "Embedded proofs are not supported; secure the presentation as a vp+jwt.",
                f"{pointer}/proof",
            )
        return None, value
    raise _unsupported(
        "Expected a vp+jwt, an EnvelopedVerifiablePresentation or a VerifiablePresentation.",
        pointer,
    )


async def verify_presentation(
    session: AsyncSession,
    fetcher: SafeFetcher,
    value: object,
    expected: Expectations,
    now: datetime,
) -> PresentationResult:
    token, unsecured = read_presentation(value)
    limit = get_settings().verification_max_token_bytes
    if token is not None and len(token) > limit * (MAX_PRESENTED_CREDENTIALS + 1):
        raise TokenTooLarge(
            f"The presentation has {len(token)} bytes; at most "
            f"{limit * (MAX_PRESENTED_CREDENTIALS + 1)} are accepted."
        )
    skew = timedelta(seconds=get_settings().verification_clock_skew_seconds)
    if token is not None:
        result = _secured(token, expected, now, skew)
    else:
        result = _unsecured(expected)
        result.presentation = unsecured
    if result.presentation is None:  # its signature did not verify: its content is not read
        return result
    entries = _credential_entries(result.checks, result.presentation)
    for index, entry in enumerate(entries):
        pointer = f"#/verifiablePresentation/verifiableCredential/{index}"
        credential = token_from_value(entry, pointer)
        if len(credential) > limit:
            raise TokenTooLarge(f"Credential {index} has {len(credential)} bytes; at most {limit}.")
        result.credentials.append(await verification.verify(session, fetcher, credential, now))
    return result


def _credential_entries(report: Report, presentation: dict[str, Any]) -> list[Any]:
    entries = presentation.get("verifiableCredential", [])
    entries = entries if isinstance(entries, list) else [entries]
    problem = None
    if len(entries) > MAX_PRESENTED_CREDENTIALS:
        problem = f"more than {MAX_PRESENTED_CREDENTIALS} credentials"
    elif not entries:
        problem = "the presentation holds no credential"
    report.record("credentials", problem, f"{len(entries)} enveloped credential(s)")
    return entries if problem is None else []


def _unsecured(expected: Expectations) -> PresentationResult:
    report = Report()
    report.add("signature", "skipped", "the presentation is not secured by its holder")
    for name, asked in (("challenge", expected.challenge), ("domain", expected.domain)):
        if asked is not None:
            report.add(name, "failed", f"an unsecured presentation cannot answer a {name}")
    return PresentationResult(report)


def _secured(
    token: str, expected: Expectations, now: datetime, skew: timedelta
) -> PresentationResult:
    report = Report()
    result = PresentationResult(report)
    try:
        parsed = parse_compact(token)
    except MalformedToken as exc:
        report.record("parsing", str(exc), "")
        return result
    report.record("parsing", None, "a compact JWS")
    header = parsed.header
    if not report.record(
        "algorithm", algorithm_problem(header), f"{header.get('alg')} is an accepted algorithm"
    ) or not report.record("header", _header_problem(header), "the header is a vp+jwt's"):
        return result
    try:
        key = _holder_key(header["kid"])
    except KeyResolutionError as exc:
        report.add("key", "failed", f"{exc.code}: {exc.detail}")
        return result
    holder = parsed.payload.get("holder")
    holder_id = holder.get("id") if isinstance(holder, dict) else holder
    problem = key_problem(str(header["alg"]), key.jwk)
    if problem is None and holder_id is not None and holder_id != key.controller:
        problem = f"the key belongs to {key.controller}, not to the holder {holder_id}"
    if not report.record("key", problem, f"the holder's {key.method} key"):
        return result
    if not report.record(
        "signature",
        None if signature_valid(parsed, key.jwk) else "the signature does not verify",
        "the holder's signature verifies",
    ):
        return result
    result.holder = key.controller
    result.presentation = parsed.payload
    report.record("claims", _claims_problem(parsed, key), "a VC Data Model 2.0 presentation")
    report.record("validity", _validity_problem(parsed.payload, now, skew), "within its validity")
    report.record(
        "challenge",
        _challenge_problem(parsed.payload.get("nonce"), expected.challenge),
        "the nonce is the verifier's challenge" if expected.challenge else "no challenge asked",
    )
    report.record(
        "domain",
        _domain_problem(parsed.payload.get("aud"), expected.domain),
        "the aud is the verifier's domain" if expected.domain else "no domain asked",
    )
    return result


def _header_problem(header: dict[str, Any]) -> str | None:
    if header.get("typ") != VP_JWT_TYPE:
        return f"typ must be {VP_JWT_TYPE}, not {header.get('typ')!r}"
    if header.get("cty") not in (None, "vp"):
        return f"cty must be vp when present, not {header.get('cty')!r}"
    if "crit" in header:
        return "no crit extension is understood here"
    if not isinstance(header.get("kid"), str):
        return "kid must name the holder's key (a did:jwk or did:key DID URL)"
    return None


def _holder_key(kid: str) -> ResolvedKey:
    if kid.startswith("did:jwk:"):
        return resolve_did_jwk(kid)
    if kid.startswith("did:key:"):
        return resolve_did_key(kid)
    raise KeyResolutionError("unsupported_kid", "a holder's kid is a did:jwk or did:key DID URL")


def _claims_problem(parsed: CompactJws, key: ResolvedKey) -> str | None:
    payload = parsed.payload
    contexts = payload.get("@context")
    if not isinstance(contexts, list) or not contexts or contexts[0] != VC_V2:
        return f"@context must be a list starting with {VC_V2}"
    types = payload.get("type")
    types = types if isinstance(types, list) else [types]
    if "VerifiablePresentation" not in types:
        return "type must include VerifiablePresentation"
    if "vp" in payload or "vc" in payload:
        return "a vp+jwt carries the presentation as its payload, not in a vp or vc claim"
    if "iss" in payload and payload["iss"] != key.controller:
        return f"iss {payload['iss']!r} is not the holder's key's controller"
    return None


def _validity_problem(payload: dict[str, Any], now: datetime, skew: timedelta) -> str | None:
    for claim in _NUMERIC_DATES:
        value = payload.get(claim)
        if claim in payload and (not isinstance(value, int | float) or isinstance(value, bool)):
            return f"{claim} must be a NumericDate (a number)"
    moment = now.timestamp()
    margin = skew.total_seconds()
    if "exp" in payload and moment > payload["exp"] + margin:
        return "the presentation has expired"
    if "nbf" in payload and moment < payload["nbf"] - margin:
        return "the presentation is not valid yet"
    if "iat" in payload and payload["iat"] > moment + margin:
        return "the presentation was issued in the future"
    return None


def _challenge_problem(nonce: object, challenge: str | None) -> str | None:
    if challenge is None or nonce == challenge:
        return None
    return "the nonce is not the verifier's challenge" if nonce else "the presentation has no nonce"


def _domain_problem(aud: object, domain: str | None) -> str | None:
    if domain is None:
        return None
    audiences = aud if isinstance(aud, list) else [aud]
    if domain in audiences:
        return None
    return "the aud is not the verifier's domain" if aud else "the presentation has no aud"
