"""Private keys are only ever stored wrapped under the key-encryption key."""

from __future__ import annotations

import base64
import uuid

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.keys.algorithms import load_private_key
from app.keys.models import SigningKey
from app.keys.wrapping import AesGcmKeyWrapper, KeyUnwrapError, default_key_wrapper
from tests.factories import Tenant


async def _stored_key(
    sessionmaker: async_sessionmaker[AsyncSession], institution: str
) -> SigningKey:
    async with sessionmaker() as session:
        return (
            await session.execute(
                select(SigningKey).where(SigningKey.institution_id == uuid.UUID(institution))
            )
        ).scalar_one()


async def test_database_holds_no_usable_private_key(
    tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    key = await _stored_key(sessionmaker, tenant.id)
    assert "d" not in key.public_jwk
    with pytest.raises(ValueError):  # noqa: PT011 - any parse failure will do
        load_private_key(key.wrapped_private_key)
    context = f"stapel-signing-key:{key.institution_id}:{key.kid}".encode()
    private = load_private_key(default_key_wrapper().unwrap(key.wrapped_private_key, context))
    public_x = base64.urlsafe_b64decode(key.public_jwk["x"] + "==")
    assert private.public_key().public_numbers().x == int.from_bytes(public_x, "big")  # type: ignore[union-attr]


async def test_wrong_kek_or_other_row_cannot_unwrap(
    tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    key = await _stored_key(sessionmaker, tenant.id)
    context = f"stapel-signing-key:{key.institution_id}:{key.kid}".encode()
    with pytest.raises(KeyUnwrapError):
        AesGcmKeyWrapper(b"x" * 32).unwrap(key.wrapped_private_key, context)
    with pytest.raises(KeyUnwrapError):
        default_key_wrapper().unwrap(key.wrapped_private_key, b"stapel-signing-key:other:kid")


async def test_key_endpoints_never_return_private_material(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    keys = (await client.get("/v1/keys", headers=tenant.headers)).json()
    did = (await client.get(f"/issuers/{tenant.slug}/did.json")).json()
    jwks = (await client.get(f"/issuers/{tenant.slug}/jwks.json")).json()
    bare = (await client.get(f"/issuers/{tenant.slug}/keys/{keys[0]['kid']}")).json()
    for document in (keys, did, jwks, bare):
        assert '"d"' not in str(document).replace("'", '"')
    assert bare == keys[0]["public_jwk"]
    assert (await client.get(f"/issuers/{tenant.slug}/keys/unknown")).status_code == 404
    assert (await client.get("/issuers/nobody/did.json")).status_code == 404


async def test_rotation_needs_keys_scope(client: httpx.AsyncClient, tenant: Tenant) -> None:
    from tests.factories import add_key

    issuer = await add_key(client, tenant, {"credentials:issue"})
    response = await client.post(
        "/v1/keys/rotate", json={}, headers={"Authorization": f"Bearer {issuer}"}
    )
    assert response.status_code == 403


async def test_default_profile_and_key_algorithm_must_agree(
    client: httpx.AsyncClient, operator: str
) -> None:
    from tests.factories import bearer, create_tenant, institution_payload

    refused = await client.post(
        "/v1/institutions",
        json=institution_payload(signing_algorithm="EdDSA", default_profile="ob3-jwt"),
        headers=bearer(operator),
    )
    assert refused.status_code == 422
    ob3 = await create_tenant(client, operator, default_profile="ob3-jwt")
    rotate = await client.post("/v1/keys/rotate", json={"algorithm": "EdDSA"}, headers=ob3.headers)
    assert rotate.status_code == 422
    assert rotate.json()["code"] == "unsupported_profile"
    eddsa = await create_tenant(client, operator, signing_algorithm="EdDSA")
    update = await client.patch(
        f"/v1/institutions/{eddsa.id}", json={"default_profile": "ob3-jwt"}, headers=eddsa.headers
    )
    assert update.status_code == 422
    assert update.json()["errors"][0]["pointer"] == "#/default_profile"
