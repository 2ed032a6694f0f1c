"""The recognition list: which other issuers' credentials an institution counts as its own.

``recognises`` is the one question the rest of the service asks (the pathway engine, and a
learner's request bringing an external credential as evidence). Staff edit the list with
the ``catalogue:write`` scope; every change is audited.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import AuditEntry, record
from app.auth.principal import Principal
from app.errors import Conflict, NotFound
from app.institutions import repository as institutions
from app.keys.did import institution_did
from app.recognition import repository
from app.recognition.models import Recognition
from app.recognition.schemas import RecognitionBounds, RecognitionCreate


async def recognises(
    session: AsyncSession,
    institution_id: uuid.UUID,
    issuer_did: str,
    achievement_id: str,
    *,
    ects: float | None,
    eqf_level: int | None,
) -> bool:
    """Whether the institution counts this issuer's credential for this achievement.

    An institution recognises itself. A bound the recognition sets is not met by a credential
    that does not state the value (an ECTS bound and no ECTS: not recognised).
    """
    own = await institutions.get(session, institution_id)
    if own is not None and institution_did(own.slug) == issuer_did:
        return True
    found = await repository.for_issuer(session, institution_id, issuer_did)
    return found is not None and covers(found, achievement_id, ects=ects, eqf_level=eqf_level)


def covers(
    recognition: Recognition, achievement_id: str, *, ects: float | None, eqf_level: int | None
) -> bool:
    if recognition.achievement_ids and achievement_id not in recognition.achievement_ids:
        return False
    return _within(eqf_level, recognition.eqf_min, recognition.eqf_max) and _within(
        ects, recognition.ects_min, recognition.ects_max
    )


def _within(value: float | None, low: float | None, high: float | None) -> bool:
    """Inside the bounds given; a value not stated meets no bound."""
    if low is None and high is None:
        return True
    if value is None:
        return False
    return (low is None or value >= low) and (high is None or value <= high)


async def list_recognitions(session: AsyncSession, principal: Principal) -> Sequence[Recognition]:
    return await repository.list_for(session, principal.tenant())


async def get_recognition(
    session: AsyncSession, principal: Principal, recognition_id: uuid.UUID
) -> Recognition:
    found = await repository.get(session, principal.tenant(), recognition_id)
    if found is None:
        raise NotFound("No such recognition.")
    return found


async def create_recognition(
    session: AsyncSession, principal: Principal, body: RecognitionCreate
) -> Recognition:
    institution_id = principal.tenant()
    if await repository.for_issuer(session, institution_id, body.issuer_did) is not None:
        raise Conflict("This issuer is recognised already; edit its recognition instead.")
    recognition = Recognition(institution_id=institution_id, **body.model_dump())
    session.add(recognition)
    await session.flush()
    await _audit(session, principal, "recognition.created", recognition)
    return recognition


async def update_recognition(
    session: AsyncSession,
    principal: Principal,
    recognition_id: uuid.UUID,
    body: RecognitionBounds,
) -> Recognition:
    recognition = await get_recognition(session, principal, recognition_id)
    for field, value in body.model_dump().items():
        setattr(recognition, field, value)
    await session.flush()
    await _audit(session, principal, "recognition.updated", recognition)
    return recognition


async def delete_recognition(
    session: AsyncSession, principal: Principal, recognition_id: uuid.UUID
) -> None:
    recognition = await get_recognition(session, principal, recognition_id)
    await _audit(session, principal, "recognition.deleted", recognition)
    await session.delete(recognition)
    await session.flush()


async def _audit(
    session: AsyncSession, principal: Principal, action: str, recognition: Recognition
) -> None:
    await record(
        session,
        principal.actor,
        AuditEntry(
            action,
            "recognition",
            str(recognition.id),
            recognition.institution_id,
            {
                "issuer_did": recognition.issuer_did,
                "achievement_ids": list(recognition.achievement_ids or []),
                "eqf": [recognition.eqf_min, recognition.eqf_max],
                "ects": [recognition.ects_min, recognition.ects_max],
            },
        ),
    )
