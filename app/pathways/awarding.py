"""Finding the components a learner holds a pathway with, and issuing the stacked credential.

Shared by the worker (automatic issuance) and the approval queue (issuance on approval). The
stacked credential goes through the normal issuing service, so status slots, the audit entry,
the ``credential.issued`` event and the claim link are those of any credential.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.achievements.links import latest_achievement_url
from app.auth.principal import Principal
from app.auth.scopes import Scope
from app.credentials.models import Credential
from app.credentials.schemas import CredentialIssue, EvidenceIn, Learner
from app.credentials.service import issue_one
from app.pathways import repository
from app.pathways.models import PathwayAward
from app.pathways.repository import AchievementFacts
from app.pathways.rules import Candidate, Selection, select
from app.recognition.service import recognises

COMPONENT_EVIDENCE_NAME = "Component credential"


def component_achievement(candidate: Candidate) -> str:
    """The component's achievement as its issuer names it."""
    if candidate.achievement_id is not None:
        return latest_achievement_url(candidate.achievement_id)
    return candidate.external_achievement or ""


def component_evidence_id(candidate: Candidate) -> str:
    """The component credential's own id: ours are ``urn:uuid:<row id>``, others' as given."""
    return candidate.document_id or f"urn:uuid:{candidate.credential_id}"


def engine_principal(stacked: AchievementFacts) -> Principal:
    """The engine acts for the stacked achievement's institution (``pathway:<id>`` in audits)."""
    return Principal(
        client_id=stacked.id,
        institution_id=stacked.institution_id,
        scopes=frozenset({Scope.CREDENTIALS_ISSUE, Scope.CREDENTIALS_REVOKE}),
        kind="pathway",
    )


async def _counted(
    session: AsyncSession, stacked: AchievementFacts, candidates: list[Candidate]
) -> list[Candidate]:
    """The candidates the stacked achievement's institution issued or recognises."""
    verdicts: dict[tuple[str, uuid.UUID | str], bool] = {}
    counted: list[Candidate] = []
    for c in candidates:
        key = (c.issuer_did, c.achievement_key)
        if key not in verdicts:
            verdicts[key] = c.institution_id == stacked.institution_id or await recognises(
                session,
                stacked.institution_id,
                c.issuer_did,
                component_achievement(c),
                ects=c.ects,
                eqf_level=c.eqf_level,
            )
        if verdicts[key]:
            counted.append(c)
    return counted


async def selection_for(
    session: AsyncSession, stacked: AchievementFacts, learner_key: str
) -> Selection | None:
    """The components the learner holds the stacked achievement's pathway with, if they do."""
    if stacked.pathway is None:
        return None
    found = await repository.candidates(session, learner_key, stacked.id)
    counted = await _counted(session, stacked, found)
    return select(stacked.pathway, counted, datetime.now(UTC).date())


def stacked_request(
    stacked: AchievementFacts, learner: Learner, selection: Selection
) -> CredentialIssue:
    """The stacked credential: its components as OB3 ``evidence``, their ECTS as earned.

    The evidence ids are the component credentials' own ids (``urn:uuid:…``; an external
    credential's as its issuer gave it), which the public API's evidence field (web addresses
    only) does not take; they are built here, not parsed.
    """
    evidence = [
        EvidenceIn.model_construct(
            id=component_evidence_id(c),
            name=COMPONENT_EVIDENCE_NAME,
            description=component_achievement(c),
        )
        for c in selection.components
    ]
    request = CredentialIssue(
        achievement_id=stacked.id, learner=learner, awarded_on=datetime.now(UTC).date()
    )
    request.evidence = evidence
    return request.earning(selection.ects)


async def issue_stacked(
    session: AsyncSession,
    principal: Principal,
    stacked: AchievementFacts,
    learner_key: str,
    selection: Selection,
    learner: Learner,
) -> Credential:
    """Issue the stacked credential and record the award; a domain error stops it."""
    issued = await issue_one(session, principal, stacked_request(stacked, learner, selection), None)
    session.add(
        PathwayAward(
            institution_id=stacked.institution_id,
            achievement_id=stacked.id,
            learner_key=learner_key,
            credential_id=issued.credential.id,
            component_ids=selection.credential_ids,
            ects=selection.ects,
            current=True,
        )
    )
    await session.flush()
    return issued.credential
