"""The VC-API face of issuance, verification and status, over the same rules as the REST API."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import AuditEntry, record
from app.auth.principal import Principal
from app.credentials import lifecycle, repository
from app.credentials.document import iso
from app.credentials.learners import lookup_digest
from app.credentials.lifecycle import StatusAction
from app.credentials.models import DOCUMENT_ID_INDEX, Credential
from app.credentials.ob3_schema import declared_schema_errors
from app.credentials.securing import secure
from app.credentials.service import issued_event
from app.errors import CredentialIdTaken, FieldError, NotFound, ValidationFailed
from app.institutions.service import institution_of
from app.keys import service as keys
from app.keys.did import institution_did
from app.observability import metrics
from app.sharing import service as sharing
from app.sharing.service import IssuedClaim
from app.status_lists import service as status_lists
from app.status_lists.entries import as_credential_status, entries_of
from app.status_lists.reserve import reserve
from app.vcapi import policy
from app.vcapi.schemas import StatusUpdate
from app.vcapi.validation import check_credential
from app.verification.profiles import parse_datetime, subject_id
from app.webhooks.events import CREDENTIAL_ISSUED, emit_many

_ACTIONS: dict[str, StatusAction] = {
    "revoked": "revoke",
    "suspended": "suspend",
    "active": "reinstate",
}


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


async def issue_document(
    session: AsyncSession, principal: Principal, credential: dict[str, Any]
) -> tuple[Credential, IssuedClaim]:
    """Sign the caller's credential as the institution, with status entries, and keep it.

    Returns the credential and its learner's claim link, which exists only in this answer.
    """
    institution = await institution_of(session, principal)
    did = institution_did(institution.slug)
    if _holds_nul(credential):
        # Postgres stores no NUL character in text or JSONB: refused here, never a 500 there.
        raise ValidationFailed(
            "The credential holds a NUL character.",
            errors=[FieldError("#/credential", "holds a NUL character", "nul_character")],
        )
    check_credential(credential, did)
    await policy.enforce(session, credential, institution.id)
    now = datetime.now(UTC)
    # The data model allows a validUntil in the past (a record of a credential that has ended).
    valid_until = parse_datetime(credential.get("validUntil"))
    (slot,) = await reserve(session, institution.id, 1)
    row_id = uuid.uuid4()
    document_id = credential.get("id", f"urn:uuid:{row_id}")
    await _refuse_taken_id(session, document_id)
    issuer = credential.get("issuer")
    document = {
        **credential,
        "id": document_id,
        "issuer": {**issuer, "id": did} if isinstance(issuer, dict) else did,
        "validFrom": credential.get("validFrom", iso(now)),
        "credentialStatus": as_credential_status(
            # The caller's own status entries stay beside Stapel's, which come first.
            [
                *status_lists.status_entries(slot, suspension=institution.suspendable_credentials),
                *entries_of(credential),
            ]
        ),
    }
    _refuse_schema_violations(document)
    signer = await keys.signer_for(session, institution)
    subject = subject_id(document)
    row = {
        "id": row_id,
        "institution_id": institution.id,
        "achievement_id": None,
        "achievement_version_id": None,
        "signing_key_id": signer.key_id,
        "profile": "vc-jose",
        "state": "active",
        "status_list_id": slot.status_list_id,
        "status_index": slot.index,
        "learner_lookup": [lookup_digest("did", subject)] if subject else [],
        "issued_at": now,
        "valid_until": valid_until,
        "awarded_on": None,
        "document": document,
        "jwt": secure(document, signer, "vc-jose", now),
        "idempotency_key": None,
        "request_fingerprint": None,
    }
    try:
        # In a savepoint: a concurrent request that took the same id first ends this one as the
        # 409 below, with the request's transaction still usable for the problem answer.
        async with session.begin_nested():
            await repository.insert_new(session, [row])
    except IntegrityError as error:
        if DOCUMENT_ID_INDEX not in str(error.orig):
            raise
        raise _id_taken() from None
    claim = (await sharing.create_links(session, institution.id, [row_id]))[row_id]
    metrics.count_issued(1)
    await emit_many(session, institution.id, CREDENTIAL_ISSUED, [issued_event(row, claim)])
    await record(
        session,
        principal.actor,
        AuditEntry(
            "credential.issued", "credential", str(row_id), institution.id, {"via": "vc-api"}
        ),
    )
    return repository.written(row), claim


def _id_taken() -> CredentialIdTaken:
    return CredentialIdTaken(
        "Another credential already has this id; every credential's id names only it.",
        errors=[FieldError("#/credential/id", "already used", "credential_id_taken")],
    )


async def _refuse_taken_id(session: AsyncSession, document_id: str) -> None:
    if await repository.document_id_taken(session, document_id):
        raise _id_taken()


def _refuse_schema_violations(document: dict[str, Any]) -> None:
    """A credential that names a schema Stapel holds must pass it, as signed (status included)."""
    errors = declared_schema_errors(document)
    if errors:
        raise ValidationFailed(
            "The credential does not pass the JSON Schema it names in credentialSchema.",
            errors=[
                FieldError("#/credential/credentialSchema", error, "schema_violation")
                for error in errors[:20]
            ],
        )


async def update_status(
    session: AsyncSession, principal: Principal, credential_id: str, updates: list[StatusUpdate]
) -> Credential:
    """Apply the requested statuses in order; an impossible change is 409, as on REST."""
    row_id = await repository.id_by_document_id(session, principal.tenant(), credential_id)
    if row_id is None:
        raise NotFound("No credential of this institution has that id.")
    credential: Credential | None = None
    for update in updates:
        credential = await lifecycle.change_status(
            session, principal, row_id, _ACTIONS[update.status], "other", "via the VC-API"
        )
    if credential is None:  # pragma: no cover - the schema requires at least one update
        raise NotFound("No credential of this institution has that id.")
    return credential
