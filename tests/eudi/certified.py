"""A CA of the test's own, trusted through STAPEL_TRUSTED_CERTIFICATES, that certifies keys."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.certificates.development import CertificateAuthority, certify_active_key, new_authority
from app.config import get_settings
from tests.factories import Tenant


def pem(authority: CertificateAuthority) -> str:
    return authority.certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def trusted_ca_for_the_test() -> Iterator[CertificateAuthority]:
    """A new CA, the verifier's only trust anchor until the generator is closed."""
    authority = new_authority(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test Learning Credential CA")])
    )
    settings = get_settings()
    before = settings.trusted_certificates
    settings.trusted_certificates = pem(authority)
    try:
        yield authority
    finally:
        settings.trusted_certificates = before


async def certify(
    sessionmaker: async_sessionmaker[AsyncSession], tenant: Tenant, ca: CertificateAuthority
) -> None:
    async with sessionmaker() as session, session.begin():
        await certify_active_key(session, uuid.UUID(tenant.id), ca, "test")
