"""Learner requests for micro-credentials: asking (with evidence), and staff deciding.

A request names a published achievement of the institution, the learner (sealed under the KEK
and bound to the row, found by their first keyed look-up digest, dropped once decided) and
evidence: a text, a link (stored, never fetched) and/or an external credential, which is
accepted only when it verifies, comes from an issuer the institution recognises and names the
learner (``app.learner_requests.external``); refused, nothing is written. An accepted external
credential is kept as a pathway component at once (``app.pathways``), whatever staff decide
about the request: the institution said, by recognising its issuer, that it counts as its own.

Approving issues the credential through the normal issuing service (status entries, claim
link, audit, ``credential.issued``); denying keeps the reason. Every step is audited and sent
as an outgoing event (``request.created``, ``request.approved``, ``request.denied``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.achievements import repository as achievements
from app.audit.service import AuditEntry, record
from app.auth.principal import Principal
from app.credentials.learners import lookup_digests
from app.credentials.schemas import CredentialIssue, EvidenceIn, Learner
from app.credentials.service import issue_one
from app.errors import AchievementNotPublished, DomainError, NotFound, RequestNotPending
from app.learner_requests import repository
from app.learner_requests.external import ExternalFacts, checked_external
from app.learner_requests.models import CredentialRequest, ExternalCredential
from app.pathways import outbox as pathway_outbox
from app.pathways.outbox import open_learner, seal_learner
from app.verification.fetching import SafeFetcher
from app.webhooks.events import REQUEST_APPROVED, REQUEST_CREATED, REQUEST_DENIED, emit_many

# How the evidence is named in the issued credential (OB 3.0 ``Evidence``).
EVIDENCE_LINK_NAME = "Evidence submitted with the request"
EXTERNAL_EVIDENCE_NAME = "External credential"


@dataclass(frozen=True, slots=True)
class Requester:
    """Who asks: an API key on the learner's behalf, or the learner through a claim link."""

    institution_id: uuid.UUID
    actor: str
    source: str


@dataclass(frozen=True, slots=True)
class Evidence:
    text: str | None = None
    url: str | None = None
    token: str | None = None  # an external credential, as a compact JWT


async def create_request(
    session: AsyncSession,
    fetcher: SafeFetcher,
    requester: Requester,
    achievement_id: uuid.UUID,
    learner: Learner,
    evidence: Evidence,
) -> CredentialRequest:
    found = await achievements.get_with_version(session, achievement_id, requester.institution_id)
    if found is None:
        raise NotFound("No such achievement.")
    if found[0].state != "published":
        raise AchievementNotPublished(f"The achievement is {found[0].state}, not published.")
    facts = (
        await checked_external(session, fetcher, requester.institution_id, evidence.token, learner)
        if evidence.token
        else None
    )
    external = await _keep_external(session, requester.institution_id, facts, learner)
    request_id = uuid.uuid4()
    request = CredentialRequest(
        id=request_id,
        institution_id=requester.institution_id,
        achievement_id=achievement_id,
        learner_key=lookup_digests(learner)[0],
        learner_sealed=seal_learner(request_id, learner),
        evidence_text=evidence.text,
        evidence_url=evidence.url,
        external_credential_id=external.id if external else None,
        source=requester.source,
        requested_by=requester.actor,
        status="pending",
    )
    session.add(request)
    await session.flush()
    await _audit(session, requester.actor, request, None, external)
    await _emit(session, REQUEST_CREATED, request)
    return request


async def _keep_external(
    session: AsyncSession, institution_id: uuid.UUID, facts: ExternalFacts | None, learner: Learner
) -> ExternalCredential | None:
    """The accepted credential as a pathway component; brought again, the row it has."""
    if facts is None:
        return None
    known = await repository.external_by_document(session, institution_id, facts.document_id)
    if known is not None:
        return known
    external = ExternalCredential(
        institution_id=institution_id,
        learner_lookup=lookup_digests(learner),
        document_id=facts.document_id,
        issuer_did=facts.issuer_did,
        achievement_url=facts.achievement_url,
        achievement_name=facts.achievement_name,
        ects=facts.ects,
        eqf_level=facts.eqf_level,
        field_of_study=facts.field_of_study,
        grade=facts.grade,
        awarded_on=facts.awarded_on,
        issued_at=facts.issued_at,
        valid_until=facts.valid_until,
        token_sha256=facts.token_sha256,
    )
    session.add(external)
    await session.flush()
    await pathway_outbox.external_component_accepted(session, external.id, learner)
    return external


async def list_requests(
    session: AsyncSession,
    principal: Principal,
    *,
    status: str | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> Sequence[CredentialRequest]:
    return await repository.page(session, principal.tenant(), status, after, limit)


async def get_request(
    session: AsyncSession, principal: Principal, request_id: uuid.UUID, *, lock: bool = False
) -> CredentialRequest:
    found = await repository.get(session, principal.tenant(), request_id, lock=lock)
    if found is None:
        raise NotFound("No such credential request.")
    return found


async def _pending(
    session: AsyncSession, principal: Principal, request_id: uuid.UUID
) -> CredentialRequest:
    request = await get_request(session, principal, request_id, lock=True)
    if request.status != "pending":
        raise RequestNotPending(f"The request is {request.status} already.")
    return request


def _learner(request: CredentialRequest) -> Learner:
    if request.learner_sealed is None:  # pragma: no cover - a pending request keeps it
        raise RequestNotPending("The request no longer holds the learner's details.")
    return open_learner(request.id, request.learner_sealed)


def _issue_request(
    request: CredentialRequest, learner: Learner, external: ExternalCredential | None
) -> CredentialIssue:
    """The credential asked for, with the link and the external credential as its evidence.

    The evidence text is for staff and stays out of the signed credential, which the learner
    shares with anyone. The external credential's id may be a ``urn:uuid``, which the public
    API's evidence field (web addresses only) does not take: built here, not parsed.
    """
    evidence = []
    if request.evidence_url:
        evidence.append(EvidenceIn(id=request.evidence_url, name=EVIDENCE_LINK_NAME))
    if external is not None:
        evidence.append(
            EvidenceIn.model_construct(
                id=external.document_id,
                name=EXTERNAL_EVIDENCE_NAME,
                description=external.achievement_url,
            )
        )
    issue = CredentialIssue(
        achievement_id=request.achievement_id,
        learner=learner,
        awarded_on=datetime.now(UTC).date(),
    )
    issue.evidence = evidence
    return issue


async def approve(
    session: AsyncSession, principal: Principal, request_id: uuid.UUID, reason: str | None
) -> CredentialRequest:
    request = await _pending(session, principal, request_id)
    learner = _learner(request)
    external = await _external_of(session, request)
    issued = await issue_one(session, principal, _issue_request(request, learner, external), None)
    _decide(request, "approved")
    request.credential_id = issued.credential.id
    await session.flush()
    await _audit(session, principal.actor, request, reason, external)
    await _emit(session, REQUEST_APPROVED, request)
    return request


async def deny(
    session: AsyncSession, principal: Principal, request_id: uuid.UUID, reason: str
) -> CredentialRequest:
    request = await _pending(session, principal, request_id)
    _decide(request, "denied")
    request.reason = reason
    await session.flush()
    await _audit(session, principal.actor, request, reason, await _external_of(session, request))
    await _emit(session, REQUEST_DENIED, request)
    return request


@dataclass(frozen=True, slots=True)
class BulkOutcome:
    request_id: uuid.UUID
    request: CredentialRequest | None = None
    error_code: str | None = None
    error_detail: str | None = None


async def approve_many(
    session: AsyncSession, principal: Principal, ids: Sequence[uuid.UUID], reason: str | None
) -> list[BulkOutcome]:
    """Approve each in a savepoint of its own: one that fails leaves nothing behind and undoes
    none of the others, which commit together with the request."""
    outcomes: list[BulkOutcome] = []
    for request_id in ids:
        try:
            async with session.begin_nested():
                approved = await approve(session, principal, request_id, reason)
        except DomainError as error:
            outcomes.append(BulkOutcome(request_id, None, error.code, error.detail))
        else:
            outcomes.append(BulkOutcome(request_id, approved))
    return outcomes


async def _external_of(
    session: AsyncSession, request: CredentialRequest
) -> ExternalCredential | None:
    if request.external_credential_id is None:
        return None
    return (await repository.externals(session, [request.external_credential_id])).get(
        request.external_credential_id
    )


def _decide(request: CredentialRequest, status: str) -> None:
    request.status = status
    request.decided_at = datetime.now(UTC)
    request.learner_sealed = None  # the learner's details are not kept past the decision


async def _audit(
    session: AsyncSession,
    actor: str,
    request: CredentialRequest,
    reason: str | None,
    external: ExternalCredential | None,
) -> None:
    action = "request.created" if request.status == "pending" else f"request.{request.status}"
    await record(
        session,
        actor,
        AuditEntry(
            action,
            "credential_request",
            str(request.id),
            request.institution_id,
            {
                "achievement_id": str(request.achievement_id),
                "source": request.source,
                "external_credential": external.document_id if external else None,
                "external_issuer": external.issuer_did if external else None,
                "credential_id": str(request.credential_id) if request.credential_id else None,
                "reason": reason,
            },
        ),
    )


async def _emit(session: AsyncSession, event_type: str, request: CredentialRequest) -> None:
    """An outgoing event with ids and state only, never the learner or the evidence."""
    await emit_many(
        session,
        request.institution_id,
        event_type,
        [
            {
                "id": str(request.id),
                "achievement_id": str(request.achievement_id),
                "status": request.status,
                "source": request.source,
                "external_credential_id": (
                    str(request.external_credential_id) if request.external_credential_id else None
                ),
                "credential_id": str(request.credential_id) if request.credential_id else None,
            }
        ],
    )
