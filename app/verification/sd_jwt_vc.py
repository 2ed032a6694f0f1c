"""Verifying an SD-JWT VC (``dc+sd-jwt``), ours or anyone's, step by step.

The issuer's key comes from the ``x5c`` chain, checked up to a trust anchor of
``STAPEL_TRUSTED_CERTIFICATES``, or else from the issuer's JWT VC Issuer Metadata by ``kid``.
Then every disclosure is checked against its digest (``app.sdjwt.presentation``), the Key
Binding JWT when there is one or the caller requires one, the validity window, and the Token
Status List entry: the list token is fetched, its ``sub`` and its signature (by a key of the
same issuer) checked, and only then is the entry read.
"""

from __future__ import annotations

import base64
import binascii
import functools
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit

from cryptography import x509
from jwcrypto import jwk as jwcrypto_jwk
from jwcrypto.common import JWException

from app.certificates.chain import CertificateChainError, validate_chain
from app.sdjwt.errors import KeyBindingMissing, SdJwtError
from app.sdjwt.key_binding import Expectations, check_key_binding, holder_key
from app.sdjwt.presentation import SdJwtParts, reveal, split
from app.token_status.token import decode_status_list, status_in
from app.verification.errors import FetchError, KeyResolutionError
from app.verification.jws import (
    CompactJws,
    MalformedToken,
    algorithm_problem,
    key_problem,
    parse_compact,
    signature_valid,
)
from app.verification.report import Report
from app.verification.resolver import KeyResolver

SD_JWT_VC_TYPES = ("dc+sd-jwt", "vc+sd-jwt")
STATUS_LIST_TYPE = "statuslist+jwt"
SD_JWT_VC_CHECKS = (
    "parsing",
    "algorithm",
    "header",
    "key",
    "signature",
    "disclosures",
    "key_binding",
    "validity",
    "status",
    "trust",
)
_STATUS_MEANINGS = {0: "valid", 1: "revoked", 2: "suspended"}
_MAX_X5C = 8


class IssuerMetadataSource(Protocol):
    async def keys_of(self, issuer: str) -> list[dict[str, Any]]:
        """The JWKs of the issuer's JWT VC Issuer Metadata; KeyResolutionError if none."""
        ...


class TokenStatusSource(Protocol):
    async def fetch(self, uri: str) -> str:
        """The Status List Token at ``uri``; FetchError if it cannot be had."""
        ...


class IssuerTrust(Protocol):
    async def known_as(self, issuer: str) -> tuple[str | None, str | None]:
        """``(known_as, name)`` of an issuer identified by its URL."""
        ...


@dataclass(frozen=True, slots=True)
class KeyBindingRequest:
    """What the verifier's caller asks of the holder's Key Binding JWT."""

    required: bool = False
    nonce: str | None = None
    audience: str | None = None


@dataclass(frozen=True, slots=True)
class SdJwtVcVerifier:
    metadata: IssuerMetadataSource
    status_lists: TokenStatusSource
    resolver: KeyResolver
    trust: IssuerTrust
    anchors: list[x509.Certificate]
    skew: timedelta
    key_binding_max_age: timedelta

    async def verify(self, text: str, binding: KeyBindingRequest, now: datetime) -> Report:
        report = Report(profile="dc+sd-jwt")
        try:
            parts = split(text)
            parsed = parse_compact(parts.jwt)
        except (SdJwtError, MalformedToken) as error:
            report.record("parsing", _reason(error), "")
            report.skip_rest("the SD-JWT could not be read", SD_JWT_VC_CHECKS)
            return report
        report.add("parsing", "passed", f"an SD-JWT with {len(parts.disclosures)} disclosure(s)")
        issuer_keys, anchored = await self._cryptography(report, parsed, now)
        if issuer_keys is None:
            report.skip_rest("the signature could not be established", SD_JWT_VC_CHECKS)
            return report
        try:
            revealed = reveal(parsed.payload, parts.disclosures)
        except SdJwtError as error:
            report.add("disclosures", "failed", _reason(error))
            report.skip_rest("the disclosures could not be trusted", SD_JWT_VC_CHECKS)
            return report
        report.credential = revealed.claims
        report.disclosed = [pointer.lstrip("/") for pointer in revealed.disclosed]
        report.add(
            "disclosures",
            "passed",
            f"{len(revealed.disclosed)} disclosure(s), each matching a digest signed by the issuer",
        )
        self._key_binding(report, parts, parsed.payload, binding, now)
        report.record(
            "validity", self._validity_problem(parsed.payload, now), "within its validity period"
        )
        await self._status(report, parsed.payload, issuer_keys, now)
        await self._trust(report, parsed.payload, anchored)
        return report

    async def _cryptography(
        self, report: Report, parsed: CompactJws, now: datetime
    ) -> tuple[list[dict[str, Any]] | None, bool]:
        header = parsed.header
        if not report.record(
            "algorithm", algorithm_problem(header), f"{header.get('alg')} is an accepted algorithm"
        ):
            return None, False
        if not report.record(
            "header", _header_problem(header, parsed.payload), "typ dc+sd-jwt, iss and vct"
        ):
            return None, False
        alg, issuer = str(header["alg"]), str(parsed.payload["iss"])
        try:
            if "x5c" in header:
                leaf = _leaf(header["x5c"], self.anchors, now)
                _check_names_issuer(leaf, issuer)
                keys, how = [_jwk_of(leaf)], "x5c"
                # The status list may be signed by a later key of the issuer (after a rotation):
                # its published keys count too, when it publishes any.
                keys += await self._published_keys(issuer)
            else:
                keys, how = await self._metadata_keys(issuer, header.get("kid")), "metadata"
        except (KeyResolutionError, CertificateChainError) as error:
            report.add("key", "failed", _reason(error))
            return None, False
        problem = key_problem(alg, keys[0])
        where = (
            "a certificate chain up to a trust anchor"
            if how == "x5c"
            else f"the JWT VC Issuer Metadata of {issuer}"
        )
        if not report.record("key", problem, f"the issuer's key, from {where}"):
            return None, False
        if not report.record(
            "signature",
            None if signature_valid(parsed, keys[0]) else "the signature does not verify",
            "the issuer's signature verifies",
        ):
            return None, False
        return keys, how == "x5c"

    async def _published_keys(self, issuer: str) -> list[dict[str, Any]]:
        try:
            return await self.metadata.keys_of(issuer)
        except KeyResolutionError:
            return []

    async def _metadata_keys(self, issuer: str, kid: object) -> list[dict[str, Any]]:
        keys = await self.metadata.keys_of(issuer)
        chosen = [k for k in keys if kid is None or k.get("kid") == kid]
        if not chosen or (kid is None and len(keys) > 1):
            raise KeyResolutionError(
                "key_not_found", f"the issuer metadata of {issuer} has no key with kid {kid!r}"
            )
        return [chosen[0], *(k for k in keys if k is not chosen[0])]

    def _key_binding(
        self,
        report: Report,
        parts: SdJwtParts,
        payload: dict[str, Any],
        binding: KeyBindingRequest,
        now: datetime,
    ) -> None:
        if parts.key_binding is None:
            if binding.required:
                report.add(
                    "key_binding",
                    "failed",
                    _reason(
                        KeyBindingMissing(
                            "A Key Binding JWT was required, and the presentation has none."
                        )
                    ),
                )
            else:
                report.add("key_binding", "skipped", "presented without a Key Binding JWT")
            return
        jwk = holder_key(payload)
        if jwk is None:
            report.add("key_binding", "failed", "key_binding_invalid: the SD-JWT has no cnf.jwk")
            return
        expected = Expectations(
            binding.nonce,
            binding.audience,
            int(self.key_binding_max_age.total_seconds()),
            int(self.skew.total_seconds()),
        )
        try:
            claims = check_key_binding(parts, jwk, expected, now)
        except SdJwtError as error:
            report.add("key_binding", "failed", _reason(error))
            return
        report.add("key_binding", "passed", f"made by the holder for {claims['aud']}, recently")

    def _validity_problem(self, payload: dict[str, Any], now: datetime) -> str | None:
        moment, skew = now.timestamp(), self.skew.total_seconds()
        for claim in ("iat", "nbf", "exp"):
            value = payload.get(claim)
            if value is not None and (
                not isinstance(value, int | float) or isinstance(value, bool)
            ):
                return f"{claim} is not a NumericDate"
        nbf = payload.get("nbf")
        if isinstance(nbf, int | float) and nbf > moment + skew:
            return "not valid yet (nbf)"
        exp = payload.get("exp")
        if isinstance(exp, int | float) and exp < moment - skew:
            return "expired (exp)"
        return None

    async def _status(
        self,
        report: Report,
        payload: dict[str, Any],
        issuer_keys: list[dict[str, Any]],
        now: datetime,
    ) -> None:
        status = payload.get("status")
        entry = status.get("status_list") if isinstance(status, dict) else None
        if status is None:
            report.add("status", "skipped", "the credential names no status list")
            return
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("uri"), str)
            or not isinstance(entry.get("idx"), int)
            or isinstance(entry.get("idx"), bool)
            or entry["idx"] < 0
        ):
            report.add("status", "failed", "status.status_list must hold an idx and a uri")
            return
        try:
            value = await self._status_value(entry["uri"], entry["idx"], issuer_keys, now)
        except (FetchError, KeyResolutionError) as error:
            report.add("status", "failed", f"{error.code}: {error.detail}")
            return
        except _StatusProblem as problem:
            report.add("status", "failed", f"status_list_invalid: {problem}")
            return
        meaning = _STATUS_MEANINGS.get(value, f"status {value}")
        report.add(
            "status", "passed" if value == 0 else "failed", f"the status list says {meaning}"
        )

    async def _status_value(
        self, uri: str, idx: int, issuer_keys: list[dict[str, Any]], now: datetime
    ) -> int:
        token = await self.status_lists.fetch(uri)
        try:
            parsed = parse_compact(token)
        except MalformedToken as error:
            raise _StatusProblem(f"the list at {uri} is not a JWT: {error}") from None
        header, claims = parsed.header, parsed.payload
        if header.get("typ") != STATUS_LIST_TYPE or claims.get("sub") != uri:
            raise _StatusProblem(f"the token at {uri} is not the status list it names")
        exp = claims.get("exp")
        if isinstance(exp, int | float) and exp < now.timestamp() - self.skew.total_seconds():
            raise _StatusProblem(f"the status list at {uri} has expired")
        key = (
            _jwk_of(_leaf(header["x5c"], self.anchors, now))
            if "x5c" in header
            else (await self.resolver.resolve(str(header.get("kid")))).jwk
        )
        issuer_thumbprints = {_thumbprint(k) for k in issuer_keys} - {None}
        problem = algorithm_problem(header) or key_problem(str(header.get("alg")), key)
        if (
            problem
            or _thumbprint(key) not in issuer_thumbprints
            or not signature_valid(parsed, key)
        ):
            raise _StatusProblem(
                f"the status list at {uri} is not signed by the credential's issuer"
            )
        listed = claims.get("status_list")
        if not isinstance(listed, dict):
            raise _StatusProblem("the token holds no status_list")
        try:
            bits = int(listed.get("bits", 0))
            return status_in(_decoded(str(listed.get("lst")), bits), bits, idx)
        except (ValueError, TypeError, IndexError) as error:
            raise _StatusProblem(f"the list cannot be read at idx {idx}: {error}") from None

    async def _trust(self, report: Report, payload: dict[str, Any], anchored: bool) -> None:
        issuer = str(payload["iss"])
        known_as, name = await self.trust.known_as(issuer)
        if known_as is None and anchored:
            known_as = "trust_list"
        report.issuer = {"id": issuer, "name": name, "known_as": known_as, "recognised": None}
        if known_as is None:
            report.add("trust", "warning", "the issuer is neither of this instance nor trusted")
        elif known_as == "this_instance":
            report.add("trust", "passed", "the issuer is an institution of this instance")
        else:
            report.add("trust", "passed", "the issuer is trusted (trust list or trust anchor)")


class _StatusProblem(Exception):
    pass


def _reason(error: SdJwtError | MalformedToken | KeyResolutionError | CertificateChainError) -> str:
    if isinstance(error, MalformedToken):
        return f"sd_jwt_malformed: {error}"
    if isinstance(error, CertificateChainError):
        return f"certificate_chain_invalid: {error}"
    return f"{error.code}: {error.detail}"


def _header_problem(header: dict[str, Any], payload: dict[str, Any]) -> str | None:
    if header.get("typ") not in SD_JWT_VC_TYPES:
        return f"typ must be dc+sd-jwt, not {header.get('typ')!r}"
    if not isinstance(payload.get("iss"), str) or not payload["iss"]:
        return "the SD-JWT VC has no iss"
    if not isinstance(payload.get("vct"), str) or not payload["vct"]:
        return "the SD-JWT VC has no vct"
    if "x5c" not in header and not isinstance(header.get("kid"), str | None):
        return "kid must be a string"
    return None


def _leaf(value: object, anchors: list[x509.Certificate], moment: datetime) -> x509.Certificate:
    """The leaf of an ``x5c`` chain that validates up to a trust anchor."""
    if not anchors:
        raise KeyResolutionError(
            "no_trust_anchor", "x5c cannot be checked: no STAPEL_TRUSTED_CERTIFICATES configured"
        )
    if not isinstance(value, list) or not value or len(value) > _MAX_X5C:
        raise KeyResolutionError("x5c_invalid", "x5c must be a non-empty array of certificates")
    try:
        chain = [x509.load_der_x509_certificate(base64.b64decode(c, validate=True)) for c in value]
    except (TypeError, ValueError, binascii.Error):
        raise KeyResolutionError(
            "x5c_invalid", "x5c holds something that is not a certificate"
        ) from None
    return validate_chain(chain, anchors, moment)


def _check_names_issuer(leaf: x509.Certificate, issuer: str) -> None:
    """The certificate must name ``iss``: as a URI (SD-JWT VC draft) or by its host as a DNS
    name or IP address (HAIP); else any certified key could sign in any issuer's name."""
    try:
        names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        names = x509.SubjectAlternativeName([])
    host = (urlsplit(issuer).hostname or "").lower()
    addresses = {str(a) for a in names.get_values_for_type(x509.IPAddress)}
    if (
        issuer in names.get_values_for_type(x509.UniformResourceIdentifier)
        or host in {d.lower() for d in names.get_values_for_type(x509.DNSName)}
        or host in addresses
    ):
        return
    raise KeyResolutionError(
        "x5c_issuer_mismatch", f"the certificate names neither {issuer} nor its host"
    )


def _jwk_of(certificate: x509.Certificate) -> dict[str, Any]:
    exported: dict[str, Any] = jwcrypto_jwk.JWK.from_pyca(certificate.public_key()).export_public(
        as_dict=True
    )
    return exported


# A verifier reads the same few lists over and over; inflating one is a pure function of its
# bytes, kept for the lists seen last (a changed list is a new string).
@functools.lru_cache(maxsize=64)
def _decoded(lst: str, bits: int) -> bytes:
    return decode_status_list(lst, bits)


def _thumbprint(key: dict[str, Any]) -> str | None:
    """The key's RFC 7638 thumbprint; None for a key that cannot be read (members that are not
    base64url, such as non-ASCII text, in a foreign issuer's metadata): it signed nothing."""
    members = {k: v for k, v in key.items() if k in ("kty", "crv", "x", "y", "n", "e")}
    try:
        return str(jwcrypto_jwk.JWK(**members).thumbprint())
    except (JWException, ValueError, TypeError):
        return None
