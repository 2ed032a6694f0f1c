"""Bitstring Status Lists: handing out indexes, and publishing the signed list credentials.

A ``status_lists`` row carries a revocation and a suspension bitstring over one index space, so
a credential gets the same index in both and two ``BitstringStatusListEntry`` objects.

Changing a status later is one SQL statement on the row: ``set_bit`` on the purpose's bits
(through ``bitstring.postgres_bit_number``) and ``version = version + 1``. Publication notices
the new version and signs the list again on its next read.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, get_args

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import get_settings
from app.contexts import VC_V2
from app.credentials.securing import secure
from app.db.session import in_own_session
from app.errors import NotFound
from app.institutions import repository as institutions
from app.institutions.models import Institution
from app.keys import service as keys
from app.keys.did import institution_did
from app.status_lists import recent, repository
from app.status_lists.allocation import permutation
from app.status_lists.bitstring import empty_bits, encode_list, postgres_bit_number
from app.status_lists.entries import entries_of

Purpose = Literal["revocation", "suspension"]
PURPOSES: tuple[Purpose, ...] = get_args(Purpose)

_PERMUTATION_KEY_BYTES = 16


@dataclass(frozen=True, slots=True)
class StatusSlot:
    """One credential's place: the same index in both bitstrings of the list."""

    status_list_id: uuid.UUID
    index: int


@dataclass(frozen=True, slots=True)
class Publication:
    """A signed ``BitstringStatusListCredential`` as served: compact JWT, ETag, lifetime."""

    jwt: str
    etag: str
    ttl_seconds: int


def status_list_url(list_id: uuid.UUID, purpose: str) -> str:
    return f"{get_settings().public_base_url}/status-lists/{list_id}/{purpose}"


def status_entries(slot: StatusSlot, *, suspension: bool) -> list[dict[str, Any]]:
    """A credential's ``BitstringStatusListEntry`` objects: revocation, and suspension if offered.

    Each credential has a slot in both bitstrings of its list; whether its document points at
    the suspension one is the institution's choice at issuance (``suspendable_credentials``).
    """
    purposes: tuple[Purpose, ...] = PURPOSES if suspension else ("revocation",)
    return [_status_entry(slot, purpose) for purpose in purposes]


def own_entries(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The entries that point at this instance's lists (a VC-API caller may add its own)."""
    prefix = f"{get_settings().public_base_url}/status-lists/"
    return [
        entry
        for entry in entries_of(document)
        if isinstance(entry, dict) and str(entry.get("statusListCredential", "")).startswith(prefix)
    ]


def offers_suspension(document: dict[str, Any], slot: StatusSlot) -> bool:
    """Whether the signed ``document`` points at its slot in the suspension list."""
    url = status_list_url(slot.status_list_id, "suspension")
    return any(
        isinstance(entry, dict) and entry.get("statusListCredential") == url
        for entry in entries_of(document)
    )


def purposes_of(document: dict[str, Any], slot: StatusSlot) -> tuple[Purpose, ...]:
    """The lists a verifier of ``document`` reads: revocation, and suspension if it points there."""
    return PURPOSES if offers_suspension(document, slot) else ("revocation",)


def _status_entry(slot: StatusSlot, purpose: Purpose) -> dict[str, Any]:
    url = status_list_url(slot.status_list_id, purpose)
    return {
        "id": f"{url}#{slot.index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": str(slot.index),
        "statusListCredential": url,
    }


# --- allocation -------------------------------------------------------------------------------


async def allocate(
    session: AsyncSession, institution_id: uuid.UUID, count: int
) -> list[StatusSlot]:
    """Hand out ``count`` never-used indexes, opening a new list whenever the open one is full.

    The slots are the caller's once its transaction commits; a rollback returns them. Allocation
    is serialised per institution until then, so call this late in the transaction.
    """
    if count < 0:
        raise ValueError(f"cannot allocate {count} status slots")
    if count == 0:
        return []
    await repository.lock_allocation(session, institution_id)
    slots: list[StatusSlot] = []
    for list_id in await repository.open_list_ids(session, institution_id):
        slots += await _take(session, list_id, count - len(slots))
        if len(slots) == count:
            return slots
    while len(slots) < count:
        list_id = await _new_list(session, institution_id)
        taken = await _take(session, list_id, count - len(slots))
        if not taken:  # pragma: no cover - a list created just now under our lock has room
            raise RuntimeError(f"new status list {list_id} has no free slot")
        slots += taken
    return slots


async def _take(session: AsyncSession, list_id: uuid.UUID, wanted: int) -> list[StatusSlot]:
    claim = await repository.claim(session, list_id, wanted)
    if claim is None:
        return []
    index_of = permutation(claim.permutation_key, claim.size)
    return [
        StatusSlot(list_id, index_of(slot))
        for slot in range(claim.first_slot, claim.first_slot + claim.count)
    ]


async def _new_list(session: AsyncSession, institution_id: uuid.UUID) -> uuid.UUID:
    size = get_settings().status_list_size
    return await repository.insert_list(
        session,
        institution_id=institution_id,
        size=size,
        permutation_key=secrets.token_bytes(_PERMUTATION_KEY_BYTES),
        empty=empty_bits(size),
    )


# --- publication ------------------------------------------------------------------------------


async def publication(session: AsyncSession, list_id: uuid.UUID, purpose: str) -> Publication:
    """The signed list credential of one purpose of a list.

    Served from ``status_list_publications`` while it reflects the list's current version and
    the configured ttl; otherwise signed again and stored there, in the caller's transaction.
    """
    ttl = get_settings().status_list_ttl_seconds
    if purpose in PURPOSES:
        current = await repository.current_publication(session, list_id, purpose)
        if current is not None and _ttl_of(current.jwt) == ttl:
            return Publication(current.jwt, current.etag, ttl)
    state = await _list_state(session, list_id, purpose)
    return await _sign_and_store(session, list_id, purpose, state, ttl)


async def recent_publication(
    session: AsyncSession, list_id: uuid.UUID, purpose: str
) -> Publication:
    """:func:`publication`, from this process's memory when it read or signed it a moment ago."""
    return await recent.served(
        list_id,
        purpose,
        lambda: publication(session, list_id, purpose),
        renew=in_own_session(lambda own: publication(own, list_id, purpose)),
    )


async def _list_state(
    session: AsyncSession, list_id: uuid.UUID, purpose: str
) -> repository.ListState:
    state = await repository.list_state(session, list_id, purpose) if purpose in PURPOSES else None
    if state is None:
        raise NotFound("No such status list.")
    return state


async def _sign_and_store(
    session: AsyncSession, list_id: uuid.UUID, purpose: str, state: repository.ListState, ttl: int
) -> Publication:
    now = datetime.now(UTC).replace(microsecond=0)
    institution = await institutions.get(session, state.institution_id)
    if institution is None:  # pragma: no cover - the foreign key forbids it
        raise NotFound("No such status list.")
    credential = list_credential(institution, list_id, purpose, state.bits, ttl, now)
    jwt = secure(credential, await keys.signer_for(session, institution), "vc-jose", now)
    etag = etag_of(jwt)
    await repository.save_publication(
        session,
        list_id=list_id,
        purpose=purpose,
        list_version=state.version,
        jwt=jwt,
        etag=etag,
        signed_at=now,
    )
    return Publication(jwt, etag, ttl)


def list_credential(
    institution: Institution,
    list_id: uuid.UUID,
    purpose: str,
    bits: bytes,
    ttl_seconds: int,
    valid_from: datetime,
) -> dict[str, Any]:
    """The unsigned ``BitstringStatusListCredential``.

    No ``validUntil``: the signed list is kept and served until its bits change, which may be
    long after any fixed expiry; freshness is what ``ttl`` and HTTP caching express.
    """
    url = status_list_url(list_id, purpose)
    return {
        "@context": [VC_V2],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": institution_did(institution.slug),
        "validFrom": valid_from.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": encode_list(bits),
            "ttl": ttl_seconds * 1000,  # the spec's ttl is in milliseconds
        },
    }


def etag_of(jwt: str) -> str:
    """A strong ETag: the JWT is the one representation, so its hash identifies it."""
    return '"' + hashlib.sha256(jwt.encode("ascii")).hexdigest()[:32] + '"'


def _ttl_of(jwt: str) -> int | None:
    """The ttl (seconds) a stored list credential states, so a changed setting re-signs it."""
    segment = jwt.split(".")[1]
    payload = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    ttl_ms = payload.get("credentialSubject", {}).get("ttl")
    return ttl_ms // 1000 if isinstance(ttl_ms, int) else None


async def set_status(
    session: AsyncSession, slot: StatusSlot, purpose: Purpose, value: bool
) -> None:
    """Set or clear a credential's bit; the list is re-signed on its next read."""
    await repository.set_status_bit(
        session, slot.status_list_id, purpose, postgres_bit_number(slot.index), value
    )
    recent.forget(slot.status_list_id)
