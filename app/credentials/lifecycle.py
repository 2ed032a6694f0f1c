"""Revoking, suspending and reinstating credentials through their status-list bits.

The bit, the credential's state and the audit entry change in one transaction. Revocation is
final; suspension can be lifted.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import AuditEntry, record
from app.auth.principal import Principal
from app.credentials import repository
from app.credentials.models import Credential
from app.errors import InvalidState, NotFound, SuspensionNotOffered
from app.observability import metrics
from app.status_lists.service import Purpose, StatusSlot, offers_suspension, set_status
from app.webhooks.events import credential_data, emit_many

StatusAction = Literal["revoke", "suspend", "reinstate"]


@dataclass(frozen=True, slots=True)
class _Transition:
    allowed_from: frozenset[str]
    target: str
    purpose: Purpose
    bit: bool
    event: str


_TRANSITIONS: dict[StatusAction, _Transition] = {
    "revoke": _Transition(
        frozenset({"active", "suspended"}), "revoked", "revocation", True, "credential.revoked"
    ),
    "suspend": _Transition(
        frozenset({"active"}), "suspended", "suspension", True, "credential.suspended"
    ),
    "reinstate": _Transition(
        frozenset({"suspended"}), "active", "suspension", False, "credential.reinstated"
    ),
}

_REFUSALS = {
    ("revoke", "revoked"): "The credential is revoked already.",
    ("suspend", "suspended"): "The credential is suspended already.",
    ("suspend", "revoked"): "A revoked credential cannot be suspended.",
    ("reinstate", "active"): "The credential is not suspended.",
    ("reinstate", "revoked"): "A revoked credential cannot be reinstated; revocation is final.",
}


async def change_status(
    session: AsyncSession,
    principal: Principal,
    credential_id: uuid.UUID,
    action: StatusAction,
    reason_code: str,
    reason: str | None,
) -> Credential:
    credential = await repository.get_for_update(session, principal.tenant(), credential_id)
    if credential is None:
        raise NotFound("No such credential.")
    transition = _TRANSITIONS[action]
    if credential.state not in transition.allowed_from:
        raise InvalidState(_REFUSALS[(action, credential.state)])
    slot = StatusSlot(credential.status_list_id, credential.status_index)
    if action == "suspend" and not offers_suspension(credential.document, slot):
        # Its signed document points at no suspension list: no verifier would ever see the bit.
        raise SuspensionNotOffered(
            "The credential cannot be suspended: it was issued without a suspension status "
            "entry (the institution's suspendable_credentials was off). Revoke it instead."
        )
    await set_status(session, slot, transition.purpose, transition.bit)
    credential.state = transition.target
    credential.status_changed_at = datetime.now(UTC)
    credential.status_reason_code = reason_code
    credential.status_reason = reason
    await session.flush()
    metrics.count_status_change(action)
    await emit_many(
        session,
        credential.institution_id,
        transition.event,
        [
            credential_data(
                credential.id,
                credential.document["id"],
                credential.achievement_id,
                credential.state,
                reason_code,
            )
        ],
    )
    await record(
        session,
        principal.actor,
        AuditEntry(
            transition.event,
            "credential",
            str(credential.id),
            credential.institution_id,
            {"reason_code": reason_code, "reason": reason},
        ),
    )
    return credential
