"""X.509 certificate chains of issuer keys: reading, checking, and the JOSE ``x5c`` header.

Pure functions over ``cryptography`` certificate objects; nothing here touches the database.
A chain is ordered leaf first (the certificate of the signing key), each next certificate the
issuer of the one before, as RFC 7515 section 4.1.6 orders ``x5c``.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization

from app.config import Settings
from app.errors import CertificateChainError

__all__ = [
    "CertificateChainError",
    "fingerprint",
    "is_self_signed",
    "load_pem_bundle",
    "pem_bundle",
    "trust_anchors",
    "validate_chain",
    "x5c",
]

_PEM_CERTIFICATE = "-----BEGIN CERTIFICATE-----"


def load_pem_bundle(text: str) -> list[x509.Certificate]:
    """The certificates of a PEM bundle, in file order; refuses anything else in it."""
    if "PRIVATE KEY-----" in text:
        raise CertificateChainError(
            "The file holds a private key; give only the certificates.", reason="malformed"
        )
    if _PEM_CERTIFICATE not in text:
        raise CertificateChainError("No PEM certificate found.", reason="malformed")
    try:
        return x509.load_pem_x509_certificates(text.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise CertificateChainError(
            "The PEM certificates cannot be read.", reason="malformed"
        ) from exc


def pem_bundle(chain: Sequence[x509.Certificate]) -> str:
    return "".join(
        certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")
        for certificate in chain
    )


def fingerprint(certificate: x509.Certificate) -> str:
    """SHA-256 of the DER encoding, hex: how a certificate is named in lists and the audit log."""
    return certificate.fingerprint(hashes.SHA256()).hex()


def validate_chain(
    chain: Sequence[x509.Certificate],
    anchors: Sequence[x509.Certificate],
    moment: datetime,
) -> x509.Certificate:
    """Check that ``chain`` is a chain valid at ``moment``; return its leaf.

    Every certificate must be within its validity period, each be signed by the next one (names
    and signature), every issuer be a CA, and the leaf be allowed to sign. When ``anchors`` are
    given, the last certificate must be one of them or be signed by one of them; without
    anchors the chain is only checked for being one.
    """
    if not chain:
        raise CertificateChainError("The chain holds no certificate.", reason="malformed")
    for position, certificate in enumerate(chain):
        _check_validity(certificate, position, moment)
    for position in range(len(chain) - 1):
        _check_issued_by(chain[position], chain[position + 1], position)
    _check_leaf_may_sign(chain[0])
    if anchors:
        _check_anchored(chain[-1], anchors, moment)
    return chain[0]


def x5c(chain: Sequence[x509.Certificate]) -> list[str]:
    """The ``x5c`` header value: standard base64 of each DER certificate, leaf first.

    A self-signed root at the end is left out: the verifier must hold the trust anchor already,
    and ETSI/EUDI profiles ask that the anchor itself is not sent.
    """
    certificates = list(chain)
    if len(certificates) > 1 and is_self_signed(certificates[-1]):
        certificates.pop()
    return [
        base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode("ascii")
        for certificate in certificates
    ]


def trust_anchors(settings: Settings) -> list[x509.Certificate]:
    """The trust anchors of ``STAPEL_TRUSTED_CERTIFICATES`` (inline PEM or a PEM file's path)."""
    configured = settings.trusted_certificates
    return list(_anchors_from(configured)) if configured else []


@lru_cache(maxsize=4)
def _anchors_from(configured: str) -> tuple[x509.Certificate, ...]:
    text = configured if _PEM_CERTIFICATE in configured else Path(configured).read_text("ascii")
    return tuple(load_pem_bundle(text))


def is_self_signed(certificate: x509.Certificate) -> bool:
    return _signed_by(certificate, certificate)


def _name(certificate: x509.Certificate) -> str:
    return certificate.subject.rfc4514_string() or "(empty subject)"


def _check_validity(certificate: x509.Certificate, position: int, moment: datetime) -> None:
    which = "The leaf certificate" if position == 0 else f"Certificate {position + 1} of the chain"
    if moment < certificate.not_valid_before_utc:
        raise CertificateChainError(
            f"{which} ({_name(certificate)}) is not valid before "
            f"{certificate.not_valid_before_utc.isoformat()}.",
            reason="not_yet_valid",
        )
    if moment > certificate.not_valid_after_utc:
        raise CertificateChainError(
            f"{which} ({_name(certificate)}) expired on "
            f"{certificate.not_valid_after_utc.isoformat()}.",
            reason="expired",
        )


def _signed_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        certificate.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
    except x509.ExtensionNotFound:
        return False
    return constraints.value.ca


def _check_issued_by(certificate: x509.Certificate, issuer: x509.Certificate, at: int) -> None:
    if certificate.issuer != issuer.subject:
        raise CertificateChainError(
            f"Not a chain: certificate {at + 1} names issuer {certificate.issuer.rfc4514_string()}"
            f" but the next certificate is {_name(issuer)}; order the file leaf first.",
            reason="not_a_chain",
        )
    if not _signed_by(certificate, issuer):
        raise CertificateChainError(
            f"Not a chain: the signature on certificate {at + 1} does not verify with the key "
            f"of {_name(issuer)}.",
            reason="not_a_chain",
        )
    if not _is_ca(issuer):
        raise CertificateChainError(
            f"Not a chain: {_name(issuer)} issues a certificate but is not a CA certificate.",
            reason="not_a_chain",
        )


def _check_leaf_may_sign(leaf: x509.Certificate) -> None:
    try:
        usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return
    if not usage.digital_signature:
        raise CertificateChainError(
            f"The leaf certificate ({_name(leaf)}) does not allow digital signatures.",
            reason="not_for_signing",
        )


def _check_anchored(
    last: x509.Certificate, anchors: Sequence[x509.Certificate], moment: datetime
) -> None:
    for anchor in anchors:
        if last == anchor:
            return
        if last.issuer == anchor.subject and _signed_by(last, anchor):
            if not anchor.not_valid_before_utc <= moment <= anchor.not_valid_after_utc:
                raise CertificateChainError(
                    f"The trust anchor {_name(anchor)} is not valid at {moment.isoformat()}.",
                    reason="untrusted",
                )
            return
    raise CertificateChainError(
        f"The chain ends at {_name(last)}, issued by {last.issuer.rfc4514_string()}, which is "
        "not one of the trusted certificates (STAPEL_TRUSTED_CERTIFICATES).",
        reason="untrusted",
    )
