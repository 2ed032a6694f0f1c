"""Single use is the database's to enforce: concurrent requests with one code or one nonce, and
what is left at rest."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.oid4vci.models import WalletNonce
from tests.factories import Tenant
from tests.oid4vci.holder import (
    JWT_VC_JSON,
    VC_JWT,
    HolderKey,
    access_token,
    fetch_offer,
    issuer_url,
    make_offer,
    nonce,
    pre_authorized_code,
    request_credential,
    token_response,
)


async def test_of_concurrent_token_requests_with_one_code_one_gets_a_token(
    client: httpx.AsyncClient, tenant: Tenant, credential: dict[str, Any]
) -> None:
    offer = await make_offer(client, tenant, credential["id"])
    code = pre_authorized_code(await fetch_offer(client, offer))
    answers = await asyncio.gather(
        *(token_response(client, tenant, code, offer.tx_code) for _ in range(6))
    )
    assert sorted(a.status_code for a in answers) == [200] + [400] * 5
    assert {a.json().get("error") for a in answers if a.status_code == 400} == {"invalid_grant"}


async def test_of_concurrent_credential_requests_with_one_nonce_one_succeeds(
    client: httpx.AsyncClient, tenant: Tenant, credential: dict[str, Any]
) -> None:
    tokens = [
        await access_token(client, tenant, await make_offer(client, tenant, credential["id"]))
        for _ in range(4)
    ]
    proof = HolderKey().proof(issuer_url(tenant), await nonce(client, tenant))
    answers = await asyncio.gather(
        *(
            request_credential(
                client,
                tenant,
                token,
                {"credential_configuration_id": VC_JWT, "proofs": {"jwt": [proof]}},
            )
            for token in tokens
        )
    )
    assert sorted(a.status_code for a in answers) == [200, 400, 400, 400]
    assert {a.json().get("error") for a in answers if a.status_code == 400} == {"invalid_nonce"}


def secret_parts(claim_tokens: str) -> list[str]:
    """The secrets of ``<key id>-<secret>`` tokens, joined by "." in an offer's URL.

    Key ids are stored to find the row and are not secret. The secret is looked for whole: it
    may hold a "-" of its own, and a piece of it could be as short as the key id or shorter.
    """
    parts = [token.partition("-")[2] for token in claim_tokens.split(".")]
    assert all(len(part) >= 32 for part in parts), "not a <key id>-<secret> token"
    return parts


async def test_no_secret_of_a_pickup_is_stored_in_clear(
    client: httpx.AsyncClient,
    tenant: Tenant,
    credential: dict[str, Any],
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    offer = await make_offer(client, tenant, credential["id"])
    code = pre_authorized_code(await fetch_offer(client, offer))
    token = (await token_response(client, tenant, code, offer.tx_code)).json()["access_token"]
    c_nonce = await nonce(client, tenant)
    # The six-digit tx_code is left out: six digits turn up in any dump of timestamps.
    secrets = [code, token, c_nonce, offer.offer_url.rsplit("/", 1)[1]]
    tables = ("wallet_offers", "wallet_access_tokens", "wallet_nonces", "audit_events")
    async with sessionmaker() as session:
        for table in tables:
            query = text(f"SELECT {table}::text FROM {table}")  # noqa: S608 - our table names
            dumped = (await session.execute(query)).scalars()
            stored = "\n".join(dumped)
            for secret in secrets:
                assert not any(part in stored for part in secret_parts(secret)), table
        hashed = (await session.execute(text("SELECT tx_code_hash FROM wallet_offers"))).scalar()
        assert isinstance(hashed, bytes)
        assert len(hashed) == 32


async def test_expired_nonces_are_swept_by_later_nonce_requests(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    for _ in range(3):
        await nonce(client, tenant)
    async with sessionmaker() as session, session.begin():
        past = datetime.now(UTC) - timedelta(seconds=1)
        await session.execute(update(WalletNonce).values(expires_at=past))
    await nonce(client, tenant)
    async with sessionmaker() as session:
        left = (await session.execute(select(func.count()).select_from(WalletNonce))).scalar_one()
    assert left == 1


async def test_a_used_nonce_leaves_no_row(
    client: httpx.AsyncClient,
    tenant: Tenant,
    credential: dict[str, Any],
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    token = await access_token(client, tenant, await make_offer(client, tenant, credential["id"]))
    proof = HolderKey().proof(issuer_url(tenant), await nonce(client, tenant))
    body = {"credential_configuration_id": JWT_VC_JSON, "proofs": {"jwt": [proof]}}
    assert (await request_credential(client, tenant, token, body)).status_code == 200
    async with sessionmaker() as session:
        left = (await session.execute(select(func.count()).select_from(WalletNonce))).scalar_one()
    assert left == 0
