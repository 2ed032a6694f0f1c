"""Bitstring Status Lists: handing out indexes and publishing the signed list credentials.

Each ``status_lists`` row carries a revocation and a suspension bitstring over one index space,
so a credential gets the same index in both.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, get_args

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import get_settings
from app.credentials.securing import secure
from app.errors import NotFound
from app.institutions import repository as institutions
from app.keys import service as keys
from app.keys.did import institution_did
from app.status_lists import repository
from app.status_lists.allocation import permute
from app.status_lists.bitstring import empty_bits, encode_list
from app.status_lists.models import StatusList

Purpose = Literal["revocation", "suspension"]
PURPOSES: tuple[Purpose, ...] = get_args(Purpose)


@dataclass(frozen=True, slots=True)
class StatusSlot:
    status_list_id: uuid.UUID
    index: int


@dataclass(frozen=True, slots=True)
class Publication:
    jwt: str
    etag: str
    ttl_seconds: int


def status_list_url(list_id: uuid.UUID, purpose: str) -> str:
    return f"{get_settings().public_base_url}/status-lists/{list_id}/{purpose}"


def credential_status(slot: StatusSlot) -> list[dict[str, Any]]:
    """The two ``BitstringStatusListEntry`` objects of a credential."""
    entries = []
    for purpose in PURPOSES:
        url = status_list_url(slot.status_list_id, purpose)
        entries.append(
            {
                "id": f"{url}#{slot.index}",
                "type": "BitstringStatusListEntry",
                "statusPurpose": purpose,
                "statusListIndex": str(slot.index),
                "statusListCredential": url,
            }
        )
    return entries


async def allocate(
    session: AsyncSession, institution_id: uuid.UUID, count: int
) -> list[StatusSlot]:
    """Hand out ``count`` never-used indexes, opening new lists when the open one fills up."""
    slots: list[StatusSlot] = []
    for list_id in await repository.open_list_ids(session, institution_id):
        slots.extend(await _take(session, list_id, count - len(slots)))
        if len(slots) == count:
            return slots
    await repository.lock_institution_lists(session, institution_id)
    while len(slots) < count:
        # Another transaction may have opened a list while we waited for the lock.
        open_ids = await repository.open_list_ids(session, institution_id)
        list_id = open_ids[0] if open_ids else await _new_list(session, institution_id)
        slots.extend(await _take(session, list_id, count - len(slots)))
    return slots


async def _take(session: AsyncSession, list_id: uuid.UUID, wanted: int) -> list[StatusSlot]:
    claim = await repository.claim(session, list_id, wanted)
    if claim is None:
        return []
    return [
        StatusSlot(list_id, permute(slot, claim.permutation_key, claim.size))
        for slot in range(claim.first_slot, claim.first_slot + claim.count)
    ]


async def _new_list(session: AsyncSession, institution_id: uuid.UUID) -> uuid.UUID:
    size = get_settings().status_list_size
    status_list = StatusList(
        institution_id=institution_id,
        size=size,
        allocated=0,
        permutation_key=secrets.token_bytes(16),
        revocation_bits=empty_bits(size),
        suspension_bits=empty_bits(size),
        version=1,
    )
    await repository.create(session, status_list)
    return status_list.id


async def publication(session: AsyncSession, list_id: uuid.UUID, purpose: str) -> Publication:
    """The signed list credential; signed again only when the bits changed since last time."""
    status_list = await repository.get(session, list_id)
    if status_list is None or purpose not in PURPOSES:
        raise NotFound("No such status list.")
    ttl = get_settings().status_list_ttl_seconds
    cached = await repository.publication(session, list_id, purpose)
    if cached is not None and cached.list_version == status_list.version:
        return Publication(cached.jwt, cached.etag, ttl)
    jwt = await _sign(session, status_list, purpose, ttl)
    etag = '"' + hashlib.sha256(jwt.encode()).hexdigest()[:32] + '"'
    await repository.save_publication(
        session,
        list_id=list_id,
        purpose=purpose,
        list_version=status_list.version,
        jwt=jwt,
        etag=etag,
        signed_at=datetime.now(UTC),
    )
    return Publication(jwt, etag, ttl)


async def _sign(session: AsyncSession, status_list: StatusList, purpose: str, ttl: int) -> str:
    institution = await institutions.get(session, status_list.institution_id)
    if institution is None:  # pragma: no cover - the foreign key forbids it
        raise NotFound("No such status list.")
    url = status_list_url(status_list.id, purpose)
    now = datetime.now(UTC).replace(microsecond=0)
    bits = status_list.revocation_bits if purpose == "revocation" else status_list.suspension_bits
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": institution_did(institution.slug),
        "validFrom": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": encode_list(bits),
            "ttl": ttl * 1000,
        },
    }
    signer = await keys.signer_for(session, institution)
    return secure(credential, signer, "vc-jose", now)
