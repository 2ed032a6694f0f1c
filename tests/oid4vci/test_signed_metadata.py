"""Credential Issuer Metadata signed with the key's certificate chain, when a wallet asks."""

from __future__ import annotations

import base64

import httpx
from cryptography import x509
from jwcrypto import jwk
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.certificates.chain import validate_chain
from app.certificates.development import CertificateAuthority
from app.verification.jws import parse_compact, signature_valid
from tests.eudi.certified import certify
from tests.factories import Tenant
from tests.oid4vci.holder import issuer_url

SIGNED = {"Accept": "application/jwt"}


def _path(tenant: Tenant) -> str:
    return f"/.well-known/openid-credential-issuer/issuers/{tenant.slug}"


async def test_with_a_certificate_the_metadata_comes_signed_with_x5c(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    trusted_ca: CertificateAuthority,
) -> None:
    await certify(sessionmaker, tenant, trusted_ca)
    response = await client.get(_path(tenant), headers=SIGNED)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/jwt")
    assert response.headers["vary"] == "Accept"
    parsed = parse_compact(response.text)
    assert parsed.header["typ"] == "openidvci-issuer-metadata+jwt"
    chain = [x509.load_der_x509_certificate(base64.b64decode(c)) for c in parsed.header["x5c"]]
    leaf = validate_chain(
        chain, [trusted_ca.certificate], trusted_ca.certificate.not_valid_before_utc
    )

    assert signature_valid(parsed, jwk.JWK.from_pyca(leaf.public_key()).export_public(as_dict=True))
    assert parsed.payload["sub"] == issuer_url(tenant)
    assert parsed.payload["credential_issuer"] == issuer_url(tenant)
    assert "LearningCredential_dc+sd-jwt" in parsed.payload["credential_configurations_supported"]
    plain = await client.get(_path(tenant))
    assert plain.headers["content-type"].startswith("application/json")


async def test_without_a_certificate_the_metadata_stays_json(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    response = await client.get(_path(tenant), headers=SIGNED)
    assert response.status_code == 200
    assert response.json()["credential_issuer"] == issuer_url(tenant)
