"""A small CA for the tests: real keys and signatures, with the faults the checks must catch."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import NameOID

NOW = datetime.now(UTC)

SigningKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


def name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "NL"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


@dataclass(frozen=True)
class Issued:
    certificate: x509.Certificate
    key: SigningKey


def certificate(
    subject: x509.Name,
    public_key: ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey,
    issuer: Issued | None,
    signing_key: SigningKey,
    *,
    ca: bool,
    not_before: datetime = NOW - timedelta(days=1),
    not_after: datetime = NOW + timedelta(days=30),
    digital_signature: bool = True,
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.certificate.subject if issuer else subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=digital_signature,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )
    algorithm = None if isinstance(signing_key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    return builder.sign(signing_key, algorithm)


def root(common_name: str = "Test Root CA", **kwargs: object) -> Issued:
    key = ec.generate_private_key(ec.SECP256R1())
    return Issued(
        certificate(name(common_name), key.public_key(), None, key, ca=True, **kwargs),  # type: ignore[arg-type]
        key,
    )


def intermediate(parent: Issued, common_name: str = "Test Issuing CA", **kwargs: object) -> Issued:
    key = ec.generate_private_key(ec.SECP256R1())
    return Issued(
        certificate(name(common_name), key.public_key(), parent, parent.key, ca=True, **kwargs),  # type: ignore[arg-type]
        key,
    )


def leaf(
    parent: Issued,
    key: SigningKey | None = None,
    common_name: str = "Hogeschool Voorbeeld",
    **kwargs: object,
) -> Issued:
    key = key or ec.generate_private_key(ec.SECP256R1())
    return Issued(
        certificate(name(common_name), key.public_key(), parent, parent.key, ca=False, **kwargs),  # type: ignore[arg-type]
        key,
    )
