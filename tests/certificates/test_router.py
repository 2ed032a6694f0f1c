"""GET /v1/certificates: staff see their institution's chains, public parts only."""

from __future__ import annotations

import base64
import uuid

import httpx
from cryptography import x509
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.certificates import development
from app.certificates.service import DEVELOPMENT_MARK
from tests.factories import Tenant, add_key


async def test_staff_see_their_own_certificates_marked_development_and_current(
    client: httpx.AsyncClient,
    tenant: Tenant,
    other_tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    authority = development.new_authority(x509.Name([]))
    async with sessionmaker() as session, session.begin():
        imported = await development.certify_active_key(
            session, uuid.UUID(tenant.id), authority, "test"
        )
    listed = await client.get("/v1/certificates", headers=tenant.headers)
    assert listed.status_code == 200, listed.text
    [certificate] = listed.json()
    assert certificate["id"] == str(imported.id)
    assert certificate["development"] is True
    assert certificate["current"] is True
    assert DEVELOPMENT_MARK in certificate["subject"]
    assert len(certificate["x5c"]) == 1  # the self-signed development root is left out
    leaf = x509.load_der_x509_certificate(base64.b64decode(certificate["x5c"][0]))
    names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.UniformResourceIdentifier) == [
        f"https://stapel.test/issuers/{tenant.slug}"
    ]
    assert "PRIVATE" not in listed.text
    assert "BEGIN" not in listed.text

    others = await client.get("/v1/certificates", headers=other_tenant.headers)
    assert others.json() == []


async def test_listing_certificates_needs_the_keys_scope(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    reader = await add_key(client, tenant, {"credentials:read"})
    refused = await client.get("/v1/certificates", headers={"Authorization": f"Bearer {reader}"})
    assert refused.status_code == 403
    assert (await client.get("/v1/certificates")).status_code == 401
