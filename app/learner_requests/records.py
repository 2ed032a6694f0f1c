"""What every step of a request leaves: an audit entry and an outgoing event."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import AuditEntry, record
from app.learner_requests.models import CredentialRequest, ExternalCredential
from app.webhooks.events import emit_many


async def audit(
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


async def emit(session: AsyncSession, event_type: str, request: CredentialRequest) -> None:
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
