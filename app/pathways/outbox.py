"""The pathway engine's outbox: component changes written in the transaction of the change.

Issuance and every status change call in here; the worker evaluates the rows after the commit
(``app.pathways.engine``), so a change is evaluated if and only if it happened. While no
pathway is published anywhere (and no stacked credential rests on components) nothing is
written; the check is part of the insert.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Sequence
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from app.credentials.schemas import Learner
from app.db.writes import Write, execute_writes, rows_param
from app.keys.wrapping import default_key_wrapper

PATHWAY_WORK: Final = "pathways"
_LEARNER_CONTEXT = b"stapel/pathway-learner/"

# Written only while some published achievement is a pathway or a stacked credential rests on
# components: otherwise nothing would read the events. The check is part of the insert, so it
# costs no round trip of its own (the events are built either way, a few microseconds each).
_INSERT = """
    INSERT INTO pathway_events
        (id, credential_id, external_credential_id, action, learner_sealed, status, attempts)
    SELECT e.id, e.credential_id, e.external_credential_id, e.action,
           decode(e.learner, 'base64'), 'pending', 0
    FROM jsonb_to_recordset(CAST(CAST(:events AS text) AS jsonb))
        AS e(id uuid, credential_id uuid, external_credential_id uuid, action text,
             learner text)
    WHERE EXISTS (
        SELECT 1 FROM achievements AS a
        JOIN achievement_versions AS v
          ON v.achievement_id = a.id AND v.version = a.current_version
        WHERE a.state = 'published' AND v.pathway IS NOT NULL
    ) OR EXISTS (SELECT 1 FROM pathway_awards WHERE current)
"""


def seal_learner(owner: uuid.UUID, learner: Learner) -> bytes:
    return default_key_wrapper().wrap(
        learner.model_dump_json().encode(), _LEARNER_CONTEXT + owner.bytes
    )


def open_learner(owner: uuid.UUID, sealed: bytes) -> Learner:
    plain = default_key_wrapper().unwrap(sealed, _LEARNER_CONTEXT + owner.bytes)
    return Learner.model_validate_json(plain)


def _write(events: list[dict[str, str | None]]) -> Write | None:
    if not events:
        return None
    return Write(_INSERT, {"events": rows_param(events)}, notify=PATHWAY_WORK)


async def components_issued(
    session: AsyncSession, issued: Sequence[tuple[uuid.UUID, Learner]]
) -> None:
    """Credentials just issued, each with the learner it names."""
    await execute_writes(session, [components_issued_write(issued)])


def components_issued_write(issued: Sequence[tuple[uuid.UUID, Learner]]) -> Write | None:
    """:func:`components_issued` as a write to send with the issuance's other writes."""
    return _write(
        [_issued_event(credential_id, None, learner) for credential_id, learner in issued]
    )


def _issued_event(
    credential_id: uuid.UUID | None, external_id: uuid.UUID | None, learner: Learner
) -> dict[str, str | None]:
    event_id = uuid.uuid4()
    return {
        "id": str(event_id),
        "credential_id": str(credential_id) if credential_id else None,
        "external_credential_id": str(external_id) if external_id else None,
        "action": "issued",
        "learner": base64.b64encode(seal_learner(event_id, learner)).decode(),
    }


async def external_component_accepted(
    session: AsyncSession, external_id: uuid.UUID, learner: Learner
) -> None:
    """An external credential accepted as the learner's evidence: a component like one issued."""
    await execute_writes(session, [_write([_issued_event(None, external_id, learner)])])


async def component_changed(session: AsyncSession, credential_id: uuid.UUID, action: str) -> None:
    """A credential revoked, suspended or reinstated."""
    event: dict[str, str | None] = {
        "id": str(uuid.uuid4()),
        "credential_id": str(credential_id),
        "action": action,
        "learner": None,
    }
    await execute_writes(session, [_write([event])])
