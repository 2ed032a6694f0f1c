"""GET /status-lists/token/{id}: the signed Status List Token, its caching and its signature."""

from __future__ import annotations

import base64
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from cryptography import x509
from jwcrypto import jwk, jws
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.certificates import service as certificates
from app.certificates.chain import pem_bundle
from app.config import get_settings
from app.keys.did import institution_did
from app.process_cache import clear_all
from app.token_status import service
from app.token_status.models import TokenStatusPublication
from tests.certificates import pki
from tests.factories import Tenant
from tests.token_status.helpers import credential_with_entry, fetch, header_and_claims, status_of


async def test_the_list_is_a_statuslist_jwt_naming_itself_and_cacheable_for_its_ttl(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    _, entry = await credential_with_entry(client, tenant, sessionmaker)
    served = await fetch(client, entry.uri)
    assert served.status_code == 200
    assert served.headers["content-type"] == "application/statuslist+jwt"
    ttl = get_settings().status_list_ttl_seconds
    assert served.headers["cache-control"] == f"public, max-age={ttl}"
    assert served.headers["access-control-allow-origin"] == "*"
    header, claims = header_and_claims(served.text)
    assert header["typ"] == "statuslist+jwt"
    assert header["kid"] == f"{institution_did(tenant.slug)}#{header['kid'].split('#')[1]}"
    assert "x5c" not in header  # no certificate imported
    assert claims["sub"] == entry.uri
    assert claims["ttl"] == ttl
    now = time.time()
    assert now - 60 <= claims["iat"] <= now + 1
    assert claims["exp"] - claims["iat"] == get_settings().token_status_list_validity_seconds
    assert claims["status_list"]["bits"] == 2
    assert status_of(served.text, entry.idx) == service.VALID


async def test_an_unchanged_list_answers_304_to_its_etag_and_is_not_signed_again(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    credential, entry = await credential_with_entry(client, tenant, sessionmaker)
    first = await fetch(client, entry.uri)
    clear_all()  # not from this process's memory: from the stored publication
    again = await fetch(client, entry.uri, **{"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    assert (await fetch(client, entry.uri)).text == first.text

    revoked = await client.post(
        f"/v1/credentials/{credential['id']}/revoke",
        json={"reason_code": "fraud"},
        headers=tenant.headers,
    )
    assert revoked.status_code == 200, revoked.text
    changed = await fetch(client, entry.uri, **{"If-None-Match": first.headers["etag"]})
    assert changed.status_code == 200
    assert changed.headers["etag"] != first.headers["etag"]
    assert status_of(changed.text, entry.idx) == service.INVALID


async def test_a_token_with_less_than_half_its_lifetime_left_is_signed_again(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    _, entry = await credential_with_entry(client, tenant, sessionmaker)
    first = await fetch(client, entry.uri)
    validity = get_settings().token_status_list_validity_seconds
    async with sessionmaker() as session, session.begin():
        await session.execute(
            update(TokenStatusPublication).values(
                expires_at=datetime.now(UTC) + timedelta(seconds=validity / 2 - 60)
            )
        )
    clear_all()
    renewed = await fetch(client, entry.uri)
    assert renewed.headers["etag"] != first.headers["etag"]
    assert header_and_claims(renewed.text)[1]["exp"] >= header_and_claims(first.text)[1]["exp"]


async def test_with_a_certificate_the_list_carries_its_x5c_and_verifies_with_the_leaf(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    root = pki.root()
    issuing = pki.intermediate(root)
    async with sessionmaker() as session, session.begin():
        csr = x509.load_pem_x509_csr(
            (await certificates.signing_request(session, uuid.UUID(tenant.id))).encode()
        )
        leaf = pki.certificate(
            csr.subject,
            csr.public_key(),  # type: ignore[arg-type]
            issuing,
            issuing.key,
            ca=False,
        )
        await certificates.import_chain(
            session, uuid.UUID(tenant.id), pem_bundle([leaf, issuing.certificate]), "test"
        )
    _, entry = await credential_with_entry(client, tenant, sessionmaker)
    served = (await fetch(client, entry.uri)).text
    header, _ = header_and_claims(served)
    assert "kid" not in header
    assert [x509.load_der_x509_certificate(base64.b64decode(c)) for c in header["x5c"]] == [
        leaf,
        issuing.certificate,
    ]
    token = jws.JWS()
    token.deserialize(served)
    token.verify(jwk.JWK.from_pyca(leaf.public_key()), alg=header["alg"])


@pytest.mark.parametrize("list_id", [str(uuid.uuid4()), "not-a-uuid"])
async def test_an_unknown_or_malformed_list_id_is_a_problem(
    client: httpx.AsyncClient, list_id: str
) -> None:
    response = await client.get(f"/status-lists/token/{list_id}")
    assert response.status_code == (422 if list_id == "not-a-uuid" else 404)
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_changed_ttl_setting_signs_the_list_again(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, entry = await credential_with_entry(client, tenant, sessionmaker)
    first = await fetch(client, entry.uri)
    monkeypatch.setattr(get_settings(), "status_list_ttl_seconds", 120)
    clear_all()
    again = await fetch(client, entry.uri)
    assert again.headers["etag"] != first.headers["etag"]
    assert header_and_claims(again.text)[1]["ttl"] == 120
    assert again.headers["cache-control"] == "public, max-age=120"
