"""Issuing credentials: one or a batch, idempotent, each signed and stored with its status."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

import anyio.to_thread
from sqlalchemy.ext.asyncio import AsyncSession

from app.achievements import repository as achievements
from app.achievements.ob3 import achievement_document, frozen_achievement_document
from app.achievements.service import issuable_among
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
from app.status_lists.service import StatusSlot
from app.webhooks.events import CREDENTIAL_ISSUED, credential_data, events_write
from app.webhooks.sealing import seal

# Building and signing more than this many credentials moves to a worker thread, so that one
# large batch does not stall every other request on the event loop. At the default
# STAPEL_ISSUE_GROUP_MAX of 32 a group commit's group is built in place: handing ~5 ms of work
# to a thread that needs the GIL anyway cost more CPU than it saved, and lengthened the tail.
_THREAD_THRESHOLD = 32


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


@dataclass(frozen=True, slots=True)
class Order:
    """One credential to issue: who asks, what, under which idempotency key, and the HTTP
    request it came with when that is not the one being served (its audit entry names it)."""

    principal: Principal
    request: CredentialIssue
    key: str | None
    request_id: str | None = None


@dataclass(frozen=True, slots=True)
class _Issuer:
    """The institution a principal issues for, and its signer."""

    institution: Institution
    signer: Signer


Summary = TypeVar("Summary")


def _whole(outcome: Outcome) -> Outcome:
    return outcome


async def issue_many(
    session: AsyncSession,
    principal: Principal,
    requests: Sequence[tuple[CredentialIssue, str | None]],
) -> list[Outcome]:
    """Issue each request's credential (a batch of one client); a request refused for its
    own reasons fails alone, one the institution cannot issue (no signing key) fails all."""
    return await issue_summarised(session, principal, requests, _whole)


async def issue_summarised(
    session: AsyncSession,
    principal: Principal,
    requests: Sequence[tuple[CredentialIssue, str | None]],
    summarise: Callable[[Outcome], Summary],
) -> list[Summary]:
    """``issue_many``, keeping of each outcome only what ``summarise`` makes of it.

    An issued credential is summarised as soon as its chunk is written, and its document let
    go, so that a large batch never holds all of its documents at once.
    """
    limit = get_settings().max_batch_size
    if len(requests) > limit:
        raise BatchTooLarge(
            f"A batch holds at most {limit} credentials; this one has {len(requests)}."
        )
    issuer = await _issuer(session, principal)
    orders = [Order(principal, request, key) for request, key in requests]
    return await _issue_orders(session, orders, {principal: issuer}, summarise)


async def issue_orders(session: AsyncSession, orders: Sequence[Order]) -> list[Outcome]:
    """Issue the credentials of several clients, of any institutions, in the session's
    transaction (group commit): each order is checked, signed and recorded for its own
    principal's institution, and a principal whose institution cannot issue fails only its
    own orders."""
    issuers: dict[Principal, _Issuer | DomainError] = {}
    for principal in dict.fromkeys(order.principal for order in orders):
        try:
            issuers[principal] = await _issuer(session, principal)
        except DomainError as error:
            issuers[principal] = error
    return await _issue_orders(session, orders, issuers, _whole)


async def _issuer(session: AsyncSession, principal: Principal) -> _Issuer:
    institution = await institution_of(session, principal)
    return _Issuer(institution, await keys.signer_for(session, institution))


async def _issue_orders(
    session: AsyncSession,
    orders: Sequence[Order],
    issuers: Mapping[Principal, _Issuer | DomainError],
    summarise: Callable[[Outcome], Summary],
) -> list[Summary]:
    outcomes = [Outcome(position=i, status="pending") for i in range(len(orders))]
    able: dict[int, _Issuer] = {}
    for position, order in enumerate(orders):
        issuer = issuers[order.principal]
        if isinstance(issuer, DomainError):
            _fail(outcomes[position], issuer)
        else:
            able[position] = issuer
    pending = await _replays(session, orders, able, outcomes)
    accepted = await _checked(session, orders, able, pending, outcomes)
    summaries: dict[int, Summary] = {}

    def settled(outcome: Outcome) -> None:
        summaries[outcome.position] = summarise(outcome)
        # Its credential (and document) is now held only by the summary, if at all.
        outcomes[outcome.position] = Outcome(outcome.position, outcome.status)

    if accepted:
        await _issue(session, orders, able, accepted, outcomes, settled)
    return [
        summaries[outcome.position] if outcome.position in summaries else summarise(outcome)
        for outcome in outcomes
    ]


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
    orders: Sequence[Order],
    issuers: Mapping[int, _Issuer],
    outcomes: list[Outcome],
) -> list[int]:
    """Settle orders whose idempotency key their institution saw before; return the positions
    left. A key belongs to an institution: two institutions may use the same one."""
    keyed = [
        (issuer.institution.id, key)
        for position, issuer in issuers.items()
        if (key := orders[position].key) is not None
    ]
    existing = await repository.by_idempotency_keys_among(session, keyed)
    seen: set[tuple[uuid.UUID, str]] = set()
    pending: list[int] = []
    for position, issuer in issuers.items():
        order = orders[position]
        scoped = (issuer.institution.id, order.key) if order.key is not None else None
        if scoped is not None and scoped in existing:
            _settle_existing(outcomes[position], existing[scoped], order.request)
        elif scoped is not None and scoped in seen:
            _fail(outcomes[position], IdempotencyKeyReused("This key occurs twice in the batch."))
        else:
            pending.append(position)
        if scoped is not None:
            seen.add(scoped)
    return pending


async def _checked(
    session: AsyncSession,
    orders: Sequence[Order],
    issuers: Mapping[int, _Issuer],
    positions: list[int],
    outcomes: list[Outcome],
) -> list[Accepted]:
    wanted = sorted(
        {(issuers[p].institution.id, orders[p].request.achievement_id) for p in positions}
    )
    rows = await issuable_among(session, wanted) if wanted else []
    # An achievement counts only for its own institution's orders.
    found = {(row.institution_id, row.id): row for row in rows}
    now = datetime.now(UTC)
    accepted: list[Accepted] = []
    for position in positions:
        order, issuer = orders[position], issuers[position]
        try:
            accepted.append(
                accept(
                    position,
                    order.request,
                    order.key,
                    found.get((issuer.institution.id, order.request.achievement_id)),
                    issuer.institution,
                    issuer.signer,
                    now,
                )
            )
        except DomainError as error:
            _fail(outcomes[position], error)
    return accepted


async def _issue(
    session: AsyncSession,
    orders: Sequence[Order],
    issuers: Mapping[int, _Issuer],
    accepted: list[Accepted],
    outcomes: list[Outcome],
    settled: Callable[[Outcome], None],
) -> None:
    """Issue the accepted orders, ``ROWS_PER_STATEMENT`` at a time, each chunk handed to
    ``settled`` once written.

    A chunk's documents and rows are let go before the next is built. A batch of 1,000 built
    whole held every document, row and signed JWT until the last was written, 18.5 MB of Python
    objects at its peak against 14.1 MB a chunk at a time, and two batches at once set the
    server's peak memory. The status slots are reserved for all of them first, in one claim
    per institution.
    """
    issued_at = datetime.now(UTC)
    by_institution: dict[uuid.UUID, list[Accepted]] = {}
    for item in accepted:
        by_institution.setdefault(issuers[item.position].institution.id, []).append(item)
    slots: dict[int, StatusSlot] = {}
    shared: dict[uuid.UUID, Shared] = {}
    for institution_id, items in by_institution.items():
        issuer = issuers[items[0].position]
        reserved = await reserve(session, institution_id, len(items))
        slots.update((item.position, slot) for item, slot in zip(items, reserved, strict=True))
        shared[institution_id] = _shared(issuer, items, issued_at)
    issued = 0
    for start in range(0, len(accepted), repository.ROWS_PER_STATEMENT):
        chunk = accepted[start : start + repository.ROWS_PER_STATEMENT]
        parts = [
            (item, slots[item.position], shared[issuers[item.position].institution.id])
            for item in chunk
        ]
        issued += await _issue_chunk(session, orders, issuers, parts, outcomes)
        for item in chunk:
            settled(outcomes[item.position])
    unfrozen = sorted({a.version_id for a in accepted if not a.version_frozen})
    if unfrozen:
        await achievements.freeze(session, unfrozen)
    metrics.count_issued(issued)


async def _issue_chunk(
    session: AsyncSession,
    orders: Sequence[Order],
    issuers: Mapping[int, _Issuer],
    parts: Sequence[tuple[Accepted, StatusSlot, Shared]],
    outcomes: list[Outcome],
) -> int:
    """Build, sign and record up to ``ROWS_PER_STATEMENT`` credentials; how many were new."""
    accepted = [item for item, _, _ in parts]

    def build() -> list[dict[str, object]]:
        return [build_row(item, slot, shared) for item, slot, shared in parts]

    rows = build() if len(parts) <= _THREAD_THRESHOLD else await anyio.to_thread.run_sync(build)
    # Rows without idempotency keys cannot conflict: they go with the writes below, one round
    # trip less.
    credentials = None
    if all(item.idempotency_key is None for item in accepted):
        credentials = repository.rows_write(rows)
        inserted = {cast(uuid.UUID, row["id"]) for row in rows}
    else:
        inserted = await repository.insert_new(session, rows)
    await _settle_lost_races(session, accepted, rows, inserted, outcomes)
    issued = [pair for pair in zip(accepted, rows, strict=True) if pair[1]["id"] in inserted]
    claims, links = sharing.new_links(
        [(cast(uuid.UUID, row["institution_id"]), cast(uuid.UUID, row["id"])) for _, row in issued]
    )
    mails: dict[uuid.UUID, list[ClaimMailRequest]] = {}
    for item, row in issued:
        claim = claims[cast(uuid.UUID, row["id"])]
        outcomes[item.position].claim_url = claim.url
        if item.request.learner.email:
            mails.setdefault(cast(uuid.UUID, row["institution_id"]), []).append(
                ClaimMailRequest(
                    claim.credential_id, claim.url, claim.expires_at, item.request.learner.email
                )
            )
    # The credentials (when not inserted above), claim links, events, pathway events and audit
    # entries: one round trip.
    await execute_writes(
        session,
        [
            credentials,
            links,
            events_write(
                CREDENTIAL_ISSUED,
                [
                    (
                        cast(uuid.UUID, row["institution_id"]),
                        issued_event(row, claims[cast(uuid.UUID, row["id"])]),
                    )
                    for _, row in issued
                ],
            ),
            pathway_outbox.components_issued_write(
                [(cast(uuid.UUID, row["id"]), item.request.learner) for item, row in issued]
            ),
            entries_write(
                [
                    (
                        orders[item.position].principal.actor,
                        AuditEntry(
                            "credential.issued",
                            "credential",
                            str(row["id"]),
                            cast(uuid.UUID, row["institution_id"]),
                            {
                                "achievement_id": str(row["achievement_id"]),
                                "profile": row["profile"],
                            },
                            orders[item.position].request_id,
                        ),
                    )
                    for item, row in issued
                ],
            ),
        ],
    )
    institutions = {issuer.institution.id: issuer.institution for issuer in issuers.values()}
    for institution_id, requests in mails.items():
        await queue_claim_mails(session, institutions[institution_id], requests)
    return len(issued)


def _shared(issuer: _Issuer, items: Sequence[Accepted], issued_at: datetime) -> Shared:
    """What one institution's credentials of a group share: issuer, signer, achievements."""
    institution = issuer.institution
    # One OB3 achievement per distinct version, however many items share it.
    versions = {(a.snapshot.achievement_id, a.snapshot.version): a for a in items}
    return Shared(
        institution_id=institution.id,
        issuer=issuer_profile(institution),
        achievements={key: _achievement(a, institution) for key, a in versions.items()},
        signer=issuer.signer,
        issued_at=issued_at,
        suspendable=institution.suspendable_credentials,
    )


def _achievement(item: Accepted, institution: Institution) -> dict[str, Any]:
    if item.version_frozen:
        return frozen_achievement_document(item.snapshot, item.version_id, institution)
    return achievement_document(item.snapshot, institution)


def issued_event(row: dict[str, Any], claim: IssuedClaim) -> dict[str, Any]:
    """``credential.issued`` carries the claim link (sealed in the outbox) for the SIS to mail."""
    data = credential_data(row["id"], row["document"]["id"], row["achievement_id"], "active")
    data["claim_url"] = seal(claim.url)
    data["claim_url_expires_at"] = claim.expires_at.isoformat()
    return data


async def _settle_lost_races(
    session: AsyncSession,
    accepted: list[Accepted],
    rows: list[dict[str, object]],
    inserted: set[uuid.UUID],
    outcomes: list[Outcome],
) -> None:
    """A concurrent request with the same idempotency key may have inserted first."""
    lost = [
        (cast(uuid.UUID, row["institution_id"]), a.idempotency_key)
        for a, row in zip(accepted, rows, strict=True)
        if row["id"] not in inserted and a.idempotency_key
    ]
    winners = await repository.by_idempotency_keys_among(session, lost)
    for item, row in zip(accepted, rows, strict=True):
        outcome = outcomes[item.position]
        if row["id"] in inserted:
            # Built from the row just written: no need to read it back.
            outcome.status, outcome.credential = "issued", repository.written(row)
        else:
            winner = winners[(cast(uuid.UUID, row["institution_id"]), item.idempotency_key or "")]
            _settle_existing(outcome, winner, item.request)


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
