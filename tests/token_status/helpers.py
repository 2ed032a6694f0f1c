"""Reading Token Status Lists the way a verifier would, without the service's own code."""

from __future__ import annotations

import base64
import json
import uuid
import zlib
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.token_status import service
from tests.credentials.helpers import issue, published_achievement
from tests.factories import Tenant

BASE = "https://stapel.test"


def _b64url(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def header_and_claims(jwt: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header, payload, _ = jwt.split(".")
    return json.loads(_b64url(header)), json.loads(_b64url(payload))


def status_of(jwt: str, idx: int) -> int:
    """The 2-bit status at ``idx``: zlib, then the draft's least-significant-first packing."""
    status_list = header_and_claims(jwt)[1]["status_list"]
    assert status_list["bits"] == 2
    packed = zlib.decompress(_b64url(status_list["lst"]))
    return (packed[idx // 4] >> (2 * (idx % 4))) & 0b11


async def credential_with_entry(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> tuple[dict[str, Any], service.TokenStatusEntry]:
    """An issued OB3 credential that also has a Token Status List entry."""
    credential = await issue(client, tenant, (await published_achievement(client, tenant))["id"])
    async with sessionmaker() as session, session.begin():
        entry = await service.allocate_entry(
            session, uuid.UUID(tenant.id), uuid.UUID(credential["id"])
        )
    return credential, entry


async def fetch(client: httpx.AsyncClient, uri: str, **headers: str) -> httpx.Response:
    return await client.get(uri.removeprefix(BASE), headers=headers)
