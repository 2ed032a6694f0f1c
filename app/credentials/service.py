"""Issuing credentials: one or a batch, idempotent, each signed and stored with its status."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import anyio.to_thread
from sqlalchemy.ext.asyncio import AsyncSession

from app.achievements import repository as achievements
from app.achievements.ob3 import achievement_document
from app.audit.service import AuditEntry, entries_write
from app.auth.principal import Principal
from app.config import get_settings
from app.credentials import repository
from app.credentials.issuance import Accepted, Outcome, Shared, accept, build_row, fingerprint
from app.credentials.models import Credential
from app.credentials.repository import CredentialFilter
from app.credentials.schemas import CredentialIssue
from app.db.writes import execute_writes
from app.errors import BatchTooLarge, DomainError, IdempotencyKeyReused, NotFound
from app.institutions.models import Institution
from app.institutions.ob3 import issuer_profile
from app.institutions.service import institution_of
from app.keys import service as keys
from app.keys.signer import Signer
from app.mail.service import ClaimMailRequest, queue_claim_mails
from app.observability import metrics
from app.pathways import outbox as pathway_outbox
from app.sharing import service as sharing
from app.sharing.service import IssuedClaim
from app.status_lists.reserve import reserve
from app.webhooks.events import CREDENTIAL_ISSUED, credential_data, events_write
from app.webhooks.sealing import seal

# Building and signing more than this many credentials moves to a worker thread, so that one
# large batch does not stall every other request on the event loop.
_THREAD_THRESHOLD = 16


@dataclass(frozen=True, slots=True)
class Issued:
    credential: Credential
    replayed: bool
    claim_url: str | None


async def issue_one(
    session: AsyncSession, principal: Principal, request: CredentialIssue, key: str | None
) -> Issued:
    """Issue one credential, or replay the one an earlier request with this key issued."""
    (outcome,) = await issue_many(session, principal, [(request, key)])
    return issued_from(outcome)


def issued_from(outcome: Outcome) -> Issued:
    """The credential a request issued or replayed; its error raised when it failed."""
    if outcome.error is not None:
        raise outcome.error
    if outcome.credential is None:  # pragma: no cover - an outcome has one or the other
        raise RuntimeError("issuance ended with neither credential nor error")
    return Issued(outcome.credential, outcome.status == "replayed", outcome.claim_url)


async def issue_many(
    session: AsyncSession,
    principal: Principal,
    requests: Sequence[tuple[CredentialIssue, str | None]],
    request_ids: Sequence[str | None] | None = None,
) -> list[Outcome]:
    """Issue each request's credential; ``request_ids`` name, per request, the HTTP request
    it came with when that is not the one being served (the audit entries carry them)."""
    limit = get_settings().max_batch_size
    if len(requests) > limit:
        raise BatchTooLarge(
            f"A batch holds at most {limit} credentials; this one has {len(requests)}."
        )
    institution = await institution_of(session, principal)
    outcomes = [Outcome(position=i, status="pending") for i in range(len(requests))]
    pending = await _replays(session, institution.id, requests, outcomes)
    signer = await keys.signer_for(session, institution)
    accepted = await _checked(session, institution, signer, requests, pending, outcomes)
    if accepted:
        await _issue(session, principal, institution, signer, accepted, outcomes, request_ids)
    return outcomes


def _fail(outcome: Outcome, error: DomainError) -> None:
    outcome.status, outcome.error = "failed", error


def _settle_existing(outcome: Outcome, existing: Credential, request: CredentialIssue) -> None:
    if existing.request_fingerprint == fingerprint(request):
        outcome.status, outcome.credential = "replayed", existing
    else:
        _fail(
            outcome,
            IdempotencyKeyReused("This Idempotency-Key was used before with a different request."),
        )


async def _replays(
    session: AsyncSession,
    institution_id: uuid.UUID,
    requests: Sequence[tuple[CredentialIssue, str | None]],
    outcomes: list[Outcome],
) -> list[int]:
    """Settle requests whose idempotency key was seen before; return the positions left."""
    keys_given = [key for _, key in requests if key is not None]
    existing = await repository.by_idempotency_keys(session, institution_id, keys_given)
    seen: set[str] = set()
    pending: list[int] = []
    for position, (request, key) in enumerate(requests):
        if key is not None and key in existing:
            _settle_existing(outcomes[position], existing[key], request)
        elif key is not None and key in seen:
            _fail(outcomes[position], IdempotencyKeyReused("This key occurs twice in the batch."))
        else:
            pending.append(position)
        if key is not None:
            seen.add(key)
    return pending


async def _checked(
    session: AsyncSession,
    institution: Institution,
    signer: Signer,
    requests: Sequence[tuple[CredentialIssue, str | None]],
    positions: list[int],
    outcomes: list[Outcome],
) -> list[Accepted]:
    ids = sorted({requests[p][0].achievement_id for p in positions})
    rows = await achievements.issuable(session, institution.id, ids) if ids else []
    found = {row[0].id: (row[0], row[1]) for row in rows}
    now = datetime.now(UTC)
    accepted: list[Accepted] = []
    for position in positions:
        request, key = requests[position]
        try:
            accepted.append(
                accept(
                    position,
                    request,
                    key,
                    found.get(request.achievement_id),
                    institution,
                    signer,
                    now,
                )
            )
        except DomainError as error:
            _fail(outcomes[position], error)
    return accepted


async def _issue(
    session: AsyncSession,
    principal: Principal,
    institution: Institution,
    signer: Signer,
    accepted: list[Accepted],
    outcomes: list[Outcome],
    request_ids: Sequence[str | None] | None,
) -> None:
    slots = await reserve(session, institution.id, len(accepted))
    # One OB3 achievement per distinct version, however many items of the batch share it.
    snapshots = {(a.snapshot.achievement_id, a.snapshot.version): a.snapshot for a in accepted}
    shared = Shared(
        institution_id=institution.id,
        issuer=issuer_profile(institution),
        achievements={key: achievement_document(s, institution) for key, s in snapshots.items()},
        signer=signer,
        issued_at=datetime.now(UTC),
        suspendable=institution.suspendable_credentials,
    )

    def build() -> list[dict[str, object]]:
        return [build_row(item, slot, shared) for item, slot in zip(accepted, slots, strict=True)]

    rows = build() if len(accepted) <= _THREAD_THRESHOLD else await anyio.to_thread.run_sync(build)
    inserted = await repository.insert_new(session, rows)
    await _settle_lost_races(session, institution.id, accepted, rows, inserted, outcomes)
    unfrozen = sorted({a.version_id for a in accepted if not a.version_frozen})
    if unfrozen:
        await achievements.freeze(session, unfrozen)
    new_rows = [row for row in rows if row["id"] in inserted]
    claims, links = sharing.new_links(institution.id, sorted(inserted))
    mails: list[ClaimMailRequest] = []
    for item, row in zip(accepted, rows, strict=True):
        claim = claims.get(cast(uuid.UUID, row["id"]))
        if claim is not None:
            outcomes[item.position].claim_url = claim.url
            if item.request.learner.email:
                mails.append(
                    ClaimMailRequest(
                        claim.credential_id, claim.url, claim.expires_at, item.request.learner.email
                    )
                )
    issued = [pair for pair in zip(accepted, rows, strict=True) if pair[1]["id"] in inserted]
    # The claim links, events, pathway events and audit entries: one round trip.
    await execute_writes(
        session,
        [
            links,
            events_write(
                institution.id,
                CREDENTIAL_ISSUED,
                [issued_event(row, claims[cast(uuid.UUID, row["id"])]) for row in new_rows],
            ),
            pathway_outbox.components_issued_write(
                [(cast(uuid.UUID, row["id"]), item.request.learner) for item, row in issued]
            ),
            entries_write(
                principal.actor,
                [
                    AuditEntry(
                        "credential.issued",
                        "credential",
                        str(row["id"]),
                        institution.id,
                        {"achievement_id": str(row["achievement_id"]), "profile": row["profile"]},
                        request_ids[item.position] if request_ids else None,
                    )
                    for item, row in issued
                ],
            ),
        ],
    )
    await queue_claim_mails(session, institution, mails)
    metrics.count_issued(len(new_rows))


def issued_event(row: dict[str, Any], claim: IssuedClaim) -> dict[str, Any]:
    """``credential.issued`` carries the claim link (sealed in the outbox) for the SIS to mail."""
    data = credential_data(row["id"], row["document"]["id"], row["achievement_id"], "active")
    data["claim_url"] = seal(claim.url)
    data["claim_url_expires_at"] = claim.expires_at.isoformat()
    return data


async def _settle_lost_races(
    session: AsyncSession,
    institution_id: uuid.UUID,
    accepted: list[Accepted],
    rows: list[dict[str, object]],
    inserted: set[uuid.UUID],
    outcomes: list[Outcome],
) -> None:
    """A concurrent request with the same idempotency key may have inserted first."""
    lost = [(a, row) for a, row in zip(accepted, rows, strict=True) if row["id"] not in inserted]
    winners = await repository.by_idempotency_keys(
        session, institution_id, [a.idempotency_key for a, _ in lost if a.idempotency_key]
    )
    for item, row in zip(accepted, rows, strict=True):
        outcome = outcomes[item.position]
        if row["id"] in inserted:
            # Built from the row just written: no need to read it back.
            outcome.status, outcome.credential = "issued", Credential(**row)
        else:
            _settle_existing(outcome, winners[item.idempotency_key or ""], item.request)


async def get_credential(
    session: AsyncSession, principal: Principal, credential_id: uuid.UUID
) -> Credential:
    credential = await repository.get(session, principal.tenant(), credential_id)
    if credential is None:
        raise NotFound("No such credential.")
    return credential


async def list_credentials(
    session: AsyncSession,
    principal: Principal,
    where: CredentialFilter,
    *,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> Sequence[Credential]:
    return await repository.page(session, principal.tenant(), where, before=before, limit=limit)
