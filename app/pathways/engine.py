"""The worker's pathway evaluation: one outcome per component change.

Each round claims due ``pathway_events`` one at a time (``FOR UPDATE SKIP LOCKED``, like the SIS
results), evaluates each against every stacked achievement the changed credential may count
towards, and records the outcome in the same transaction as what the evaluation did, so an
event has exactly one outcome however many workers run. Evaluations of one learner against one
stacked achievement are serialised by a transaction-level advisory lock, and at most one
current award per learner and stacked achievement is a unique index: components issued side by
side give one stacked credential.

An event whose evaluation fails unexpectedly is rolled back to its savepoint alone and retried
with backoff; after ``MAX_ATTEMPTS`` it is ``dead``.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Final

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.credentials import lifecycle
from app.credentials.models import Credential
from app.credentials.schemas import Learner
from app.errors import DomainError
from app.observability import metrics
from app.pathways import repository
from app.pathways.awarding import engine_principal, issue_stacked, selection_for
from app.pathways.models import PathwayApproval, PathwayAward, PathwayEvent
from app.pathways.outbox import open_learner, seal_learner
from app.pathways.repository import AchievementFacts
from app.pathways.rules import Selection

logger = logging.getLogger(__name__)

MAX_ATTEMPTS: Final = 5
RETRY_BASE_SECONDS: Final = 30.0
# The reasons the engine gives the stacked credential's status changes.
COMPONENT_REVOKED: Final = "component_revoked"
COMPONENT_REINSTATED: Final = "component_reinstated"


async def run_round(sessionmaker: async_sessionmaker[AsyncSession], limit: int) -> int:
    """Evaluate up to ``limit`` due events; returns how many were handled.

    One transaction per event: a round never holds one learner's lock while waiting for
    another's, so loops running side by side cannot deadlock on each other.
    """
    handled = 0
    while handled < limit:
        async with sessionmaker() as session, session.begin():
            claimed = await repository.claim_due(session, 1)
            if not claimed:
                break
            event = claimed[0]
            await _handle(session, event)
        handled += 1
    return handled


async def _handle(session: AsyncSession, event: PathwayEvent) -> None:
    event_id, sealed, attempts = event.id, event.learner_sealed, event.attempts
    credential_id, external_id = event.credential_id, event.external_credential_id
    now = datetime.now(UTC)
    try:
        async with session.begin_nested():
            learner = open_learner(event_id, sealed) if sealed else None
            if credential_id is not None:
                outcomes = await evaluate_change(session, credential_id, learner)
            elif external_id is not None:
                outcomes = await evaluate_external(session, external_id, learner)
            else:  # pragma: no cover - the table's check constraint forbids it
                outcomes = {}
    except Exception as error:  # a bug or a broken row: this event alone waits and retries
        logger.exception("pathway event %s failed", event_id)
        final = attempts + 1 >= MAX_ATTEMPTS
        await _set(
            session,
            event_id,
            attempts=attempts + 1,
            last_error=f"{type(error).__name__} while evaluating",
            status="dead" if final else "pending",
            processed_at=now if final else None,
            next_attempt_at=now + timedelta(seconds=RETRY_BASE_SECONDS * 2**attempts),
            learner_sealed=None if final else sealed,
        )
        return
    for outcome in outcomes.values():
        metrics.count_pathway_outcome(outcome)
    await _set(
        session,
        event_id,
        status="done",
        outcomes=outcomes,
        processed_at=now,
        learner_sealed=None,  # the learner's name and identifiers are not kept past the outcome
    )


async def _set(session: AsyncSession, event_id: uuid.UUID, **values: object) -> None:
    await session.execute(update(PathwayEvent).where(PathwayEvent.id == event_id).values(**values))


async def evaluate_change(
    session: AsyncSession, credential_id: uuid.UUID, learner: Learner | None
) -> dict[str, str]:
    """Evaluate every pathway the credential may count towards; the outcome of each."""
    credential = await session.get(Credential, credential_id)
    if credential is None or credential.achievement_id is None or not credential.learner_lookup:
        return {}
    # The learner as the credentials already name them: the first keyed digest (student
    # number, else e-mail address, else DID), never a clear identifier.
    learner_key = credential.learner_lookup[0]
    outcomes: dict[str, str] = {}
    for stacked in await repository.stacked_affected(
        session, credential.id, credential.achievement_id
    ):
        outcomes[str(stacked.id)] = await evaluate(session, stacked, learner_key, learner)
    return outcomes


async def evaluate_external(
    session: AsyncSession, external_id: uuid.UUID, learner: Learner | None
) -> dict[str, str]:
    """An external credential accepted as evidence: the pathways it may count towards."""
    found = await repository.external_component(session, external_id)
    if found is None:
        return {}
    learner_key, achievement_url = found
    outcomes: dict[str, str] = {}
    for stacked in await repository.stacked_affected(session, external_id, achievement_url):
        outcomes[str(stacked.id)] = await evaluate(session, stacked, learner_key, learner)
    return outcomes


async def evaluate(
    session: AsyncSession, stacked: AchievementFacts, learner_key: str, learner: Learner | None
) -> str:
    """Bring the learner's stacked credential in line with their components; what was done."""
    await repository.lock_learner_pathway(session, stacked.id, learner_key)
    award = await repository.current_award(session, stacked.id, learner_key)
    held = await session.get(Credential, award.credential_id) if award else None
    if award is not None and (held is None or held.state == "revoked"):
        await repository.retire_award(session, award.id)
        award, held = None, None
    selection = await selection_for(session, stacked, learner_key)
    if award is not None and held is not None:
        return await _follow(session, stacked, award, held, selection)
    if selection is None:
        return "not_satisfied"
    return await _award(session, stacked, learner_key, selection, learner)


async def _award(
    session: AsyncSession,
    stacked: AchievementFacts,
    learner_key: str,
    selection: Selection,
    learner: Learner | None,
) -> str:
    """A rule newly satisfied: issue the stacked credential, or queue it for staff."""
    if stacked.state != "published":
        return "not_published"
    if learner is None:
        # Only an issuance carries the learner's name; a reinstatement that completes a rule
        # waits for the next issuance of one of the learner's components.
        return "satisfied_without_learner"
    if stacked.pathway is not None and stacked.pathway.on_satisfied == "approve":
        return await _queue(session, stacked, learner_key, selection, learner)
    try:
        await issue_stacked(
            session, engine_principal(stacked), stacked, learner_key, selection, learner
        )
    except DomainError as error:
        logger.warning("stacked credential of %s not issued: %s", stacked.id, error.code)
        return f"refused:{error.code}"
    return "issued"


async def _follow(
    session: AsyncSession,
    stacked: AchievementFacts,
    award: PathwayAward,
    held: Credential,
    selection: Selection | None,
) -> str:
    principal = engine_principal(stacked)
    if selection is None and held.state == "active":
        lost = stacked.pathway.on_component_lost if stacked.pathway else "suspend"
        await lifecycle.change_status(session, principal, held.id, lost, COMPONENT_REVOKED, None)
        if lost == "revoke":
            await repository.retire_award(session, award.id)
            return "revoked"
        return "suspended"
    if (
        selection is not None
        and held.state == "suspended"
        and held.status_reason_code == COMPONENT_REVOKED
    ):
        await lifecycle.change_status(
            session, principal, held.id, "reinstate", COMPONENT_REINSTATED, None
        )
        award.component_ids = selection.credential_ids
        await session.flush()
        return "reinstated"
    if selection is not None and award.component_ids != selection.credential_ids:
        # Held with other components now (a spare, a second copy): the award follows, so a
        # later change of these finds it.
        award.component_ids = selection.credential_ids
        await session.flush()
    return "unchanged"


async def _queue(
    session: AsyncSession,
    stacked: AchievementFacts,
    learner_key: str,
    selection: Selection,
    learner: Learner,
) -> str:
    if await repository.pending_approval(session, stacked.id, learner_key) is not None:
        return "already_queued"
    if await repository.denied_before(session, stacked.id, learner_key):
        return "denied_before"
    approval_id = uuid.uuid4()
    session.add(
        PathwayApproval(
            id=approval_id,
            institution_id=stacked.institution_id,
            achievement_id=stacked.id,
            learner_key=learner_key,
            component_ids=selection.credential_ids,
            ects=selection.ects,
            learner_sealed=seal_learner(approval_id, learner),
            status="pending",
        )
    )
    await session.flush()
    return "queued"
