"""IETF Token Status Lists: entries for credentials, their statuses, the signed list tokens.

Each institution's credentials that are secured in a format with a ``status.status_list``
claim (SD-JWT VC) get one entry in a list of ``STAPEL_TOKEN_STATUS_LIST_SIZE`` entries of 2
bits: 0 VALID, 1 INVALID (revoked), 2 SUSPENDED. Indices are handed out as the Bitstring Status
List slots are (``app.status_lists.allocation``): a keyed permutation of a counter, so they look
random and never repeat. A status change is one UPDATE that also moves the list's ``version``
on; the signed token is kept in ``token_status_publications`` and signed again on the first read
after the version changed or when less than half its lifetime is left.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from app.certificates.chain import x5c
from app.certificates.service import chain_for_key
from app.config import get_settings
from app.errors import NotFound
from app.institutions import repository as institutions
from app.keys import service as keys
from app.status_lists import recent
from app.status_lists import repository as slots
from app.status_lists.allocation import permutation
from app.status_lists.service import Publication, etag_of
from app.token_status import repository
from app.token_status.token import compress

BITS: Final = 2
VALID: Final = 0
INVALID: Final = 1
SUSPENDED: Final = 2

STATUS_LIST_TYP: Final = "statuslist+jwt"
# The key of this publication in app.status_lists.recent, beside "revocation" and "suspension".
RECENT_KEY: Final = "token"

_PERMUTATION_KEY_BYTES = 16


@dataclass(frozen=True)
class TokenStatusEntry:
    """The ``status.status_list`` of a credential: ``{"idx": idx, "uri": uri}``."""

    idx: int
    uri: str

    def claim(self) -> dict[str, Any]:
        """The ``status`` claim of the Referenced Token."""
        return {"status_list": {"idx": self.idx, "uri": self.uri}}


def token_status_list_url(list_id: uuid.UUID) -> str:
    return f"{get_settings().public_base_url}/status-lists/token/{list_id}"


# --- entries ----------------------------------------------------------------------------------


async def allocate_entry(
    session: AsyncSession, institution_id: uuid.UUID, credential_id: uuid.UUID
) -> TokenStatusEntry:
    """The credential's entry, made on the first call; every later call returns the same one.

    Allocation is serialised per institution until the caller's transaction ends. A credential
    that is not the institution's is a NotFound, before any entry is taken.
    """
    existing = await repository.entry_of(session, institution_id, credential_id)
    if not existing.found:
        raise NotFound("No such credential.")
    if existing.entry is None:
        await slots.lock_allocation(session, institution_id, "token-status-lists")
        # Another transaction may have made it while this one waited for the lock.
        existing = await repository.entry_of(session, institution_id, credential_id)
    if existing.entry is None:
        list_id, idx = await _free_index(session, institution_id)
        await repository.insert_entry(session, credential_id, list_id, idx)
        return TokenStatusEntry(idx, token_status_list_url(list_id))
    return TokenStatusEntry(existing.entry.idx, token_status_list_url(existing.entry.list_id))


async def _free_index(session: AsyncSession, institution_id: uuid.UUID) -> tuple[uuid.UUID, int]:
    for list_id in await repository.open_list_ids(session, institution_id):
        claim = await slots.claim(session, list_id, 1, repository.TABLE)
        if claim is not None:
            return list_id, permutation(claim.permutation_key, claim.size)(claim.first_slot)
    list_id = await repository.insert_list(
        session,
        institution_id,
        get_settings().token_status_list_size,
        secrets.token_bytes(_PERMUTATION_KEY_BYTES),
    )
    claim = await slots.claim(session, list_id, 1, repository.TABLE)
    if claim is None:  # pragma: no cover - a list created just now under our lock has room
        raise RuntimeError(f"new token status list {list_id} has no free entry")
    return list_id, permutation(claim.permutation_key, claim.size)(claim.first_slot)


async def set_status(session: AsyncSession, credential_id: uuid.UUID, status: int) -> bool:
    """Set the credential's entry, in the caller's transaction; False when it has none."""
    if not 0 <= status < 1 << BITS:
        raise ValueError(f"status {status} does not fit in {BITS} bits")
    list_id = await repository.set_status(session, credential_id, status)
    if list_id is None:
        return False
    recent.forget(list_id, (RECENT_KEY,))
    return True


# --- publication ------------------------------------------------------------------------------


async def publication(session: AsyncSession, list_id: uuid.UUID) -> Publication:
    """The signed Status List Token: the stored one while it is current, not half expired and
    states the configured ttl; otherwise signed again and stored, in the caller's transaction.
    """
    settings = get_settings()
    now = datetime.now(UTC).replace(microsecond=0)
    stored = await repository.current_publication(session, list_id)
    if stored is not None:
        left = stored.expires_at - now
        half = timedelta(seconds=settings.token_status_list_validity_seconds / 2)
        if left > half and _ttl_of(stored.jwt) == settings.status_list_ttl_seconds:
            return Publication(stored.jwt, stored.etag, _max_age(left))
    state = await repository.list_state(session, list_id)
    if state is None:
        raise NotFound("No such status list.")
    expires_at = now + timedelta(seconds=settings.token_status_list_validity_seconds)
    jwt = await _sign(session, list_id, state, now, expires_at)
    etag = etag_of(jwt)
    await repository.save_publication(
        session,
        list_id=list_id,
        list_version=state.version,
        jwt=jwt,
        etag=etag,
        signed_at=now,
        expires_at=expires_at,
    )
    return Publication(jwt, etag, _max_age(expires_at - now))


def _ttl_of(jwt: str) -> object:
    """The ttl a stored token states, so that a changed setting signs it again."""
    segment = jwt.split(".")[1]
    return orjson.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))).get("ttl")


def _max_age(left: timedelta) -> int:
    """The configured ttl, but never beyond the token's own expiry."""
    return max(0, min(get_settings().status_list_ttl_seconds, int(left.total_seconds())))


async def _sign(
    session: AsyncSession,
    list_id: uuid.UUID,
    state: repository.ListState,
    now: datetime,
    expires_at: datetime,
) -> str:
    institution = await institutions.get(session, state.institution_id)
    if institution is None:  # pragma: no cover - the foreign key forbids it
        raise NotFound("No such status list.")
    signer = await keys.signer_for(session, institution)
    header: dict[str, Any] = {"alg": signer.algorithm, "typ": STATUS_LIST_TYP}
    chain = await chain_for_key(session, signer.key_id, now)
    if chain is not None:
        header["x5c"] = x5c(chain)
    else:
        header["kid"] = signer.did_url
    payload = {
        "sub": token_status_list_url(list_id),
        "iat": int(now.timestamp()),
        "exp": int(expires_at.timestamp()),
        "ttl": get_settings().status_list_ttl_seconds,
        "status_list": {"bits": BITS, "lst": compress(state.statuses)},
    }
    return signer.sign(header, orjson.dumps(payload))
