"""An SD-JWT VC whose key comes from x5c must be certified for its iss (SAN URI or host)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from app.certificates.development import CertificateAuthority, certify, new_authority
from app.keys.algorithms import sign_compact
from app.sdjwt.issuance import conceal, serialise
from app.verification.errors import KeyResolutionError
from app.verification.report import Report
from app.verification.resolver import KeyResolver
from app.verification.sd_jwt_vc import KeyBindingRequest, SdJwtVcVerifier

ISSUER = "https://issuer.example/issuers/hva"


class _NoMetadata:
    async def keys_of(self, issuer: str) -> list[dict[str, Any]]:
        raise KeyResolutionError("http_status", f"no metadata for {issuer}")


class _NoLists:
    async def fetch(self, uri: str) -> str:
        raise AssertionError(f"no status list was named, yet {uri} was asked for")


class _NobodyKnown:
    async def known_as(self, issuer: str) -> tuple[str | None, str | None]:
        return None, None


def _authority() -> CertificateAuthority:
    return new_authority(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CA")]))


def _signed(authority: CertificateAuthority, names: list[x509.GeneralName]) -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    request = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Hogeschool Voorbeeld")])
    )
    if names:
        request = request.add_extension(x509.SubjectAlternativeName(names), critical=False)
    leaf = certify(authority, request.sign(key, hashes.SHA256()))
    der = leaf.public_bytes(serialization.Encoding.DER)
    payload, disclosures = conceal(
        {"iss": ISSUER, "vct": "urn:example:vct", "iat": int(datetime.now(UTC).timestamp())},
        {"achievement_title": "Data Literacy"},
    )
    header = {"typ": "dc+sd-jwt", "alg": "ES256", "x5c": [base64.b64encode(der).decode()]}
    return serialise(sign_compact(key, "ES256", header, orjson.dumps(payload)), disclosures)


async def _verify(text: str, authority: CertificateAuthority) -> Report:
    verifier = SdJwtVcVerifier(
        metadata=_NoMetadata(),
        status_lists=_NoLists(),
        resolver=KeyResolver.__new__(KeyResolver),  # never asked: no status list
        trust=_NobodyKnown(),
        anchors=[authority.certificate],
        skew=timedelta(seconds=60),
        key_binding_max_age=timedelta(minutes=5),
    )
    return await verifier.verify(text, KeyBindingRequest(), datetime.now(UTC))


def _key_check(report: Report) -> tuple[str, str]:
    check = next(c for c in report.checks if c.name == "key")
    return check.outcome, check.detail


async def test_a_certificate_naming_the_issuer_url_verifies_and_is_trusted() -> None:
    authority = _authority()
    text = _signed(authority, [x509.UniformResourceIdentifier(ISSUER)])
    report = await _verify(text, authority)
    assert report.verified, report.checks
    assert report.issuer is not None
    assert report.issuer["known_as"] == "trust_list"


async def test_a_certificate_naming_the_issuers_host_verifies() -> None:
    authority = _authority()
    report = await _verify(_signed(authority, [x509.DNSName("issuer.example")]), authority)
    assert report.verified, report.checks


async def test_a_certificate_for_another_name_or_none_is_refused() -> None:
    authority = _authority()
    elsewhere: list[x509.GeneralName] = [x509.DNSName("elsewhere.example")]
    for names in (elsewhere, []):
        report = await _verify(_signed(authority, names), authority)
        outcome, detail = _key_check(report)
        assert outcome == "failed"
        assert detail.startswith("x5c_issuer_mismatch:")


async def test_a_chain_to_another_anchor_is_refused() -> None:
    text = _signed(_authority(), [x509.UniformResourceIdentifier(ISSUER)])
    outcome, detail = _key_check(await _verify(text, _authority()))
    assert outcome == "failed"
    assert detail.startswith("certificate_chain_invalid:")
