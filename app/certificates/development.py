"""The local development CA that `stapel dev` certifies the demo institution's key with.

Created once in the development data directory: ``dev-ca.pem`` (the CA certificate) and
``dev-ca.key`` (its private key, PKCS#8 encrypted under the KEK and readable by its owner only).
The CA and everything it issues say in their subject that they are for development; their
certificates are flagged ``development`` wherever they are listed. Never trust this CA outside
a development machine.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy.ext.asyncio import AsyncSession

from app.certificates import service
from app.certificates.chain import pem_bundle
from app.certificates.models import IssuerCertificate
from app.certificates.service import DEVELOPMENT_MARK

CA_CERTIFICATE_FILE = "dev-ca.pem"
CA_KEY_FILE = "dev-ca.key"

CA_DAYS = 3650
LEAF_DAYS = 365


@dataclass(frozen=True)
class CertificateAuthority:
    certificate: x509.Certificate
    private_key: ec.EllipticCurvePrivateKey


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    """A CA signs certificates (and CRLs) only; an end entity makes digital signatures only."""
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _development_name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, DEVELOPMENT_MARK),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def new_authority(subject: x509.Name, days: int = CA_DAYS) -> CertificateAuthority:
    """A self-signed CA (P-256) able to issue end-entity certificates only."""
    private_key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    public_key = private_key.public_key()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .sign(private_key, hashes.SHA256())
    )
    return CertificateAuthority(certificate, private_key)


def certify(
    authority: CertificateAuthority,
    request: x509.CertificateSigningRequest,
    subject: x509.Name | None = None,
    days: int = LEAF_DAYS,
) -> x509.Certificate:
    """An end-entity certificate for the key of a (checked) CSR, for digital signatures, with the
    subject alternative names the CSR asks for."""
    if not request.is_signature_valid:
        raise ValueError("the certificate signing request's signature does not verify")
    now = datetime.now(UTC)
    not_after = min(now + timedelta(days=days), authority.certificate.not_valid_after_utc)
    builder = x509.CertificateBuilder()
    try:
        names = request.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        pass
    else:
        builder = builder.add_extension(names.value, critical=False)
    return (
        builder.subject_name(subject or request.subject)
        .issuer_name(authority.certificate.subject)
        .public_key(request.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(ca=False), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(
                authority.certificate.public_key()  # type: ignore[arg-type]  # ours is EC
            ),
            critical=False,
        )
        .sign(authority.private_key, hashes.SHA256())
    )


def development_subject(request: x509.CertificateSigningRequest) -> x509.Name:
    """The CSR's subject with the development mark added as an organisational unit."""
    return x509.Name(
        [
            *request.subject,
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, DEVELOPMENT_MARK),
        ]
    )


def load_or_create(data_dir: Path, kek: bytes) -> CertificateAuthority:
    """The development CA of ``data_dir``, created there on first use."""
    certificate_path = data_dir / CA_CERTIFICATE_FILE
    key_path = data_dir / CA_KEY_FILE
    if certificate_path.exists() and key_path.exists():
        certificate = x509.load_pem_x509_certificate(certificate_path.read_bytes())
        private_key = serialization.load_pem_private_key(key_path.read_bytes(), password=kek)
        if not isinstance(private_key, ec.EllipticCurvePrivateKey):
            raise TypeError(f"{key_path} does not hold the development CA's EC key")
        return CertificateAuthority(certificate, private_key)
    authority = new_authority(_development_name("Stapel development root CA"))
    data_dir.mkdir(parents=True, exist_ok=True)
    _write_private(
        key_path,
        authority.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(kek),
        ),
    )
    certificate_path.write_bytes(authority.certificate.public_bytes(serialization.Encoding.PEM))
    return authority


def _write_private(path: Path, content: bytes) -> None:
    """Owner-only from the start: no moment at which another user could read the key."""
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)


async def certify_active_key(
    session: AsyncSession, institution_id: uuid.UUID, authority: CertificateAuthority, actor: str
) -> IssuerCertificate:
    """Certify the institution's active key with the development CA and import the chain."""
    request = x509.load_pem_x509_csr(
        (await service.signing_request(session, institution_id)).encode("ascii")
    )
    leaf = certify(authority, request, development_subject(request))
    return await service.import_chain(
        session,
        institution_id,
        pem_bundle([leaf, authority.certificate]),
        actor,
        anchors=[authority.certificate],
        development=True,
    )
