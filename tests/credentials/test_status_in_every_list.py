"""One credential, two kinds of status list: a status change reaches both in one transaction."""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.token_status import service
from tests.factories import Tenant
from tests.token_status.helpers import BASE, credential_with_entry, fetch, status_of

REASONS = {"revoke": {"reason_code": "fraud"}, "suspend": {"reason_code": "under_investigation"}}


async def _bitstring(client: httpx.AsyncClient, credential: dict[str, Any], purpose: str) -> bool:
    entry = next(
        e for e in credential["credential"]["credentialStatus"] if e["statusPurpose"] == purpose
    )
    listed = await client.get(entry["statusListCredential"].removeprefix(BASE))
    assert listed.status_code == 200
    payload = listed.text.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    encoded = claims["credentialSubject"]["encodedList"][1:]
    bits = gzip.decompress(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    index = int(entry["statusListIndex"])
    return bool(bits[index // 8] >> (7 - index % 8) & 1)


async def test_suspend_reinstate_revoke_reach_the_bitstring_and_the_token_status_list(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    credential, entry = await credential_with_entry(client, tenant, sessionmaker)
    _, bystander = await credential_with_entry(client, tenant, sessionmaker)

    async def act(action: str) -> None:
        response = await client.post(
            f"/v1/credentials/{credential['id']}/{action}",
            json=REASONS.get(action, {}),
            headers=tenant.headers,
        )
        assert response.status_code == 200, response.text

    async def token_status(of: service.TokenStatusEntry) -> int:
        return status_of((await fetch(client, of.uri)).text, of.idx)

    assert await token_status(entry) == service.VALID

    await act("suspend")
    assert await _bitstring(client, credential, "suspension")
    assert await token_status(entry) == service.SUSPENDED

    await act("reinstate")
    assert not await _bitstring(client, credential, "suspension")
    assert await token_status(entry) == service.VALID

    await act("revoke")
    assert await _bitstring(client, credential, "revocation")
    assert not await _bitstring(client, credential, "suspension")
    assert await token_status(entry) == service.INVALID
    assert await token_status(bystander) == service.VALID  # no other entry changed
