"""``/v1/institutions/{id}/smtp``: the server an institution mails claim links through."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from app.auth.dependencies import AuthenticatedPrincipal
from app.db.session import DbSession
from app.mail import service
from app.mail.models import SmtpSettings
from app.mail.schemas import SmtpSettingsIn, SmtpSettingsOut
from app.responses import AUTHENTICATED, problems

router = APIRouter(prefix="/v1/institutions", tags=["institutions"])


def _out(settings: SmtpSettings) -> SmtpSettingsOut:
    return SmtpSettingsOut(
        host=settings.host,
        port=settings.port,
        security=settings.security,
        username=settings.username,
        password_set=settings.password_wrapped is not None,
        from_address=settings.from_address,
        from_name=settings.from_name,
        enabled=settings.enabled,
        updated_at=settings.updated_at,
    )


@router.get(
    "/{institution_id}/smtp",
    responses=problems(*AUTHENTICATED, 404),
    summary="The institution's SMTP server, without its password",
)
async def get_smtp(
    institution_id: uuid.UUID, session: DbSession, principal: AuthenticatedPrincipal
) -> SmtpSettingsOut:
    return _out(await service.get_smtp(session, principal, institution_id))


@router.put(
    "/{institution_id}/smtp",
    responses=problems(*AUTHENTICATED, 400, 404),
    summary="Set the SMTP server claim links are mailed through",
)
async def put_smtp(
    institution_id: uuid.UUID,
    body: SmtpSettingsIn,
    session: DbSession,
    principal: AuthenticatedPrincipal,
) -> SmtpSettingsOut:
    return _out(await service.put_smtp(session, principal, institution_id, body))


@router.delete(
    "/{institution_id}/smtp",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems(*AUTHENTICATED, 404),
    summary="Stop mailing claim links and forget the SMTP server",
)
async def delete_smtp(
    institution_id: uuid.UUID, session: DbSession, principal: AuthenticatedPrincipal
) -> None:
    await service.delete_smtp(session, principal, institution_id)
