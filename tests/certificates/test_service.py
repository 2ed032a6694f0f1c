"""Importing certificate chains for the active key, and which chain is current."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.audit.models import AuditEvent
from app.certificates import service
from app.certificates.chain import CertificateChainError, pem_bundle
from app.config import get_settings
from app.errors import Conflict
from app.keys import service as keys
from tests.certificates import pki
from tests.certificates.pki import NOW
from tests.factories import Tenant


async def _csr(
    sessionmaker: async_sessionmaker[AsyncSession], tenant: Tenant
) -> x509.CertificateSigningRequest:
    async with sessionmaker() as session, session.begin():
        text = await service.signing_request(session, uuid.UUID(tenant.id))
    return x509.load_pem_x509_csr(text.encode())


def _certify(
    ca: pki.Issued, csr: x509.CertificateSigningRequest, **kwargs: object
) -> x509.Certificate:
    return pki.certificate(
        csr.subject,
        csr.public_key(),  # type: ignore[arg-type]
        ca,
        ca.key,
        ca=False,
        **kwargs,  # type: ignore[arg-type]
    )


async def _import(
    sessionmaker: async_sessionmaker[AsyncSession], tenant: Tenant, chain: list[x509.Certificate]
) -> uuid.UUID:
    async with sessionmaker() as session, session.begin():
        row = await service.import_chain(session, uuid.UUID(tenant.id), pem_bundle(chain), "test")
        return row.signing_key_id


async def test_the_csr_is_signed_by_the_active_key_and_names_the_institution(
    sessionmaker: async_sessionmaker[AsyncSession], tenant: Tenant
) -> None:
    csr = await _csr(sessionmaker, tenant)
    assert csr.is_signature_valid
    assert "O=Stichting Hogeschool Voorbeeld" in csr.subject.rfc4514_string()
    assert "C=NL" in csr.subject.rfc4514_string()
    names = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    # What an SD-JWT VC verifier matches the credential's iss (the issuer's URL) against.
    assert names.get_values_for_type(x509.UniformResourceIdentifier) == [
        f"https://stapel.test/issuers/{tenant.slug}"
    ]
    assert names.get_values_for_type(x509.DNSName) == ["stapel.test"]


async def test_an_imported_chain_is_the_keys_current_one_and_is_audited(
    sessionmaker: async_sessionmaker[AsyncSession],
    tenant: Tenant,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = pki.root()
    monkeypatch.setattr(get_settings(), "trusted_certificates", pem_bundle([root.certificate]))
    issuing = pki.intermediate(root)
    leaf = _certify(issuing, await _csr(sessionmaker, tenant))
    key_id = await _import(sessionmaker, tenant, [leaf, issuing.certificate])
    async with sessionmaker() as session:
        assert await service.chain_for_key(session, key_id) == [leaf, issuing.certificate]
        assert await service.chain_for_key(session, key_id, NOW + timedelta(days=60)) is None
        assert await service.chain_for_key(session, uuid.uuid4()) is None
        audit = (
            await session.execute(
                select(AuditEvent).where(AuditEvent.action == "certificate.imported")
            )
        ).scalar_one()
    assert audit.actor == "test"
    assert audit.target_type == "issuer_certificate"
    assert audit.data["fingerprint"] == leaf.fingerprint(hashes.SHA256()).hex()
    assert audit.data["development"] is False


async def test_the_newest_valid_certificate_of_a_key_is_current(
    sessionmaker: async_sessionmaker[AsyncSession], tenant: Tenant
) -> None:
    root = pki.root()
    csr = await _csr(sessionmaker, tenant)
    older = _certify(root, csr, not_before=NOW - timedelta(days=10))
    newer = _certify(root, csr, not_before=NOW - timedelta(days=1))
    await _import(sessionmaker, tenant, [newer, root.certificate])
    key_id = await _import(sessionmaker, tenant, [older, root.certificate])
    async with sessionmaker() as session:
        now = await service.chain_for_key(session, key_id)
        earlier = await service.chain_for_key(session, key_id, NOW - timedelta(days=5))
        listed = await service.list_certificates(session, uuid.UUID(tenant.id))
    assert [(c.certificate.fingerprint, c.current) for c in listed] == [
        (c.certificate.fingerprint, c.certificate.not_before == newer.not_valid_before_utc)
        for c in listed
    ]
    assert sum(c.current for c in listed) == 1
    assert now == [newer, root.certificate]
    assert earlier == [older, root.certificate]


async def test_rotation_keeps_the_old_keys_chain_for_its_credentials(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession], tenant: Tenant
) -> None:
    root = pki.root()
    old_leaf = _certify(root, await _csr(sessionmaker, tenant))
    old_key = await _import(sessionmaker, tenant, [old_leaf])
    async with sessionmaker() as session, session.begin():
        await keys.rotate(session, uuid.UUID(tenant.id), "ES256", "test")
    async with sessionmaker() as session:
        assert await service.chain_for_key(session, old_key) == [old_leaf]
        [listed] = await service.list_certificates(session, uuid.UUID(tenant.id))
    assert listed.certificate.retired_at is not None
    with pytest.raises(CertificateChainError) as refused:  # the old leaf is not the new key's
        await _import(sessionmaker, tenant, [old_leaf])
    assert refused.value.reason == "key_mismatch"
    assert "active signing key" in refused.value.detail


async def test_a_chain_is_refused_when_it_does_not_reach_a_configured_anchor(
    sessionmaker: async_sessionmaker[AsyncSession],
    tenant: Tenant,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        get_settings(), "trusted_certificates", pem_bundle([pki.root().certificate])
    )
    other = pki.root("Not trusted here")
    leaf = _certify(other, await _csr(sessionmaker, tenant))
    with pytest.raises(CertificateChainError) as refused:
        await _import(sessionmaker, tenant, [leaf, other.certificate])
    assert refused.value.reason == "untrusted"


async def test_the_same_certificate_twice_is_a_conflict(
    sessionmaker: async_sessionmaker[AsyncSession], tenant: Tenant
) -> None:
    root = pki.root()
    leaf = _certify(root, await _csr(sessionmaker, tenant))
    await _import(sessionmaker, tenant, [leaf])
    with pytest.raises(Conflict):
        await _import(sessionmaker, tenant, [leaf])


async def test_an_instance_reached_by_ip_address_asks_for_an_ip_address_name(
    sessionmaker: async_sessionmaker[AsyncSession],
    tenant: Tenant,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(get_settings(), "public_base_url", "http://127.0.0.1:8000")
    csr = await _csr(sessionmaker, tenant)
    names = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert names.get_values_for_type(x509.DNSName) == []
