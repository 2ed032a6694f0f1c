"""Staff deciding on learners' requests: approving (alone or in bulk) and denying.

Approving issues the credential through the normal issuing service (``issue_one``, as
``POST /v1/credentials``: status entries, claim link and its mail, ``credential.issued``,
audit) in the approving key's name; denying keeps the reason. A decided request drops the
sealed learner. Bulk approval takes each request in a savepoint of its own, so one that fails
leaves nothing behind and undoes none of the others.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.credentials.schemas import CredentialIssue, EvidenceIn, Learner
from app.credentials.service import issue_one
from app.errors import DomainError, RequestNotPending
from app.learner_requests import records, repository
from app.learner_requests.models import CredentialRequest, ExternalCredential
from app.learner_requests.service import get_request
from app.pathways.outbox import open_learner
from app.webhooks.events import REQUEST_APPROVED, REQUEST_DENIED

# How the evidence is named in the issued credential (OB 3.0 ``Evidence``).
EVIDENCE_LINK_NAME = "Evidence submitted with the request"
EXTERNAL_EVIDENCE_NAME = "External credential"


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
    external = await repository.external_of(session, request)
    issued = await issue_one(session, principal, _issue_request(request, learner, external), None)
    _decide(request, "approved")
    request.credential_id = issued.credential.id
    await session.flush()
    await records.audit(session, principal.actor, request, reason, external)
    await records.emit(session, REQUEST_APPROVED, request)
    return request


async def deny(
    session: AsyncSession, principal: Principal, request_id: uuid.UUID, reason: str
) -> CredentialRequest:
    request = await _pending(session, principal, request_id)
    _decide(request, "denied")
    request.reason = reason
    await session.flush()
    await records.audit(
        session, principal.actor, request, reason, await repository.external_of(session, request)
    )
    await records.emit(session, REQUEST_DENIED, request)
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


def _decide(request: CredentialRequest, status: str) -> None:
    request.status = status
    request.decided_at = datetime.now(UTC)
    request.learner_sealed = None  # the learner's details are not kept past the decision
