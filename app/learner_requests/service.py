"""Learner requests for micro-credentials: asking (with evidence), and staff deciding.

A request names a published achievement of the institution, the learner (sealed under the KEK
and bound to the row, found by their first keyed look-up digest, dropped once decided) and
evidence: a text, a link (stored, never fetched) and/or an external credential, which is
accepted only when it verifies, comes from an issuer the institution recognises and names the
learner (``app.learner_requests.external``); refused, nothing is written. An accepted external
credential is kept as a pathway component at once (``app.pathways``), whatever staff decide
about the request: the institution said, by recognising its issuer, that it counts as its own.

Staff decide in ``app.learner_requests.decisions``. Every step is audited and sent as an
outgoing event (``request.created``, ``request.approved``, ``request.denied``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.achievements import repository as achievements
from app.auth.principal import Principal
from app.credentials.learners import lookup_digests
from app.credentials.schemas import Learner
from app.errors import AchievementNotPublished, NotFound
from app.learner_requests import records, repository
from app.learner_requests.external import ExternalFacts, checked_external
from app.learner_requests.models import CredentialRequest, ExternalCredential
from app.pathways import outbox as pathway_outbox
from app.pathways.outbox import seal_learner
from app.verification.fetching import SafeFetcher
from app.webhooks.events import REQUEST_CREATED


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
    await records.audit(session, requester.actor, request, None, external)
    await records.emit(session, REQUEST_CREATED, request)
    return request


async def _keep_external(
    session: AsyncSession, institution_id: uuid.UUID, facts: ExternalFacts | None, learner: Learner
) -> ExternalCredential | None:
    """The accepted credential as a pathway component; brought again, the row it has."""
    if facts is None:
        return None
    values = {
        "institution_id": institution_id,
        "learner_lookup": lookup_digests(learner),
        "document_id": facts.document_id,
        "issuer_did": facts.issuer_did,
        "achievement_url": facts.achievement_url,
        "achievement_name": facts.achievement_name,
        "ects": facts.ects,
        "eqf_level": facts.eqf_level,
        "field_of_study": facts.field_of_study,
        "grade": facts.grade,
        "awarded_on": facts.awarded_on,
        "issued_at": facts.issued_at,
        "valid_until": facts.valid_until,
        "token_sha256": facts.token_sha256,
    }
    # Two requests bringing the same credential at once: one row, one pathway event.
    inserted = await repository.insert_external(session, values)
    if inserted is not None:
        await pathway_outbox.external_component_accepted(session, inserted, learner)
    return await repository.external_by_document(session, institution_id, facts.document_id)


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
