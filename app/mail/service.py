"""The rules of claim-link mail: an institution's SMTP server, and which mails are owed.

A mail is queued in the transaction that makes the claim link (issuance or renewal), only when
the learner has an e-mail address and the institution has an enabled SMTP server; the worker
sends it after the commit (``app.mail.sending``). The address and the link are encrypted under
the KEK, bound to the outbox row, and deleted once the mail is sent or given up on.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import AuditEntry, record
from app.auth.principal import Principal
from app.config import get_settings
from app.errors import AddressRefused, FieldError, NotFound
from app.institutions.models import Institution
from app.institutions.service import administered_institution
from app.keys.wrapping import default_key_wrapper
from app.mail import repository
from app.mail.content import language_for
from app.mail.models import SmtpSettings
from app.mail.repository import QueuedMail
from app.mail.schemas import MailLanguage, SmtpSettingsIn
from app.verification.errors import FetchError
from app.verification.fetching import vet_host

_PASSWORD = b"smtp-password:"
_RECIPIENT = b"mail-recipient:"
_CLAIM_URL = b"mail-claim-url:"


# --- sealing: every value bound to the row it belongs to ------------------------------------


def _seal(purpose: bytes, owner: uuid.UUID, value: str) -> bytes:
    return default_key_wrapper().wrap(value.encode(), purpose + owner.bytes)


def _open(purpose: bytes, owner: uuid.UUID, wrapped: bytes) -> str:
    return default_key_wrapper().unwrap(wrapped, purpose + owner.bytes).decode()


def smtp_password(settings: SmtpSettings) -> str | None:
    if settings.password_wrapped is None:
        return None
    return _open(_PASSWORD, settings.institution_id, settings.password_wrapped)


def recipient_of(mail_id: uuid.UUID, wrapped: bytes) -> str:
    return _open(_RECIPIENT, mail_id, wrapped)


def claim_url_of(mail_id: uuid.UUID, wrapped: bytes) -> str:
    return _open(_CLAIM_URL, mail_id, wrapped)


# --- the institution's SMTP server --------------------------------------------------------------


async def vet_smtp_host(host: str, port: int, *, allow_private: bool) -> None:
    """Raise :class:`FetchError` for a host that is, or resolves to, no public address."""
    if not allow_private:
        await vet_host(host, port, f"smtp://{host}:{port}")


async def get_smtp(
    session: AsyncSession, principal: Principal, institution_id: uuid.UUID
) -> SmtpSettings:
    institution = await administered_institution(
        session, principal, institution_id, for_update=False
    )
    found = await repository.smtp_settings(session, institution.id)
    if found is None:
        raise NotFound("This institution has no SMTP server configured.")
    return found


async def put_smtp(
    session: AsyncSession, principal: Principal, institution_id: uuid.UUID, body: SmtpSettingsIn
) -> SmtpSettings:
    institution = await administered_institution(
        session, principal, institution_id, for_update=True
    )
    try:
        await vet_smtp_host(
            body.host, body.port, allow_private=get_settings().smtp_allow_private_addresses
        )
    except FetchError as exc:
        raise AddressRefused(
            "Mail is only sent through SMTP servers on public addresses.",
            errors=[FieldError("#/host", str(exc), "address_not_allowed")],
        ) from exc
    found = await repository.smtp_settings(session, institution.id, for_update=True)
    created = found is None
    settings = found or SmtpSettings(institution_id=institution.id, password_wrapped=None)
    for field in ("host", "port", "security", "username", "from_address", "from_name", "enabled"):
        setattr(settings, field, getattr(body, field))
    if "password" in body.model_fields_set:
        settings.password_wrapped = (
            _seal(_PASSWORD, institution.id, body.password.get_secret_value())
            if body.password is not None
            else None
        )
    if created:
        session.add(settings)
    institution.smtp_enabled = body.enabled
    await session.flush()
    await _audit(
        session,
        principal,
        institution,
        "institution.smtp_configured",
        {
            "host": settings.host,
            "port": settings.port,
            "security": settings.security,
            "enabled": settings.enabled,
            "password_changed": "password" in body.model_fields_set,
        },
    )
    return settings


async def delete_smtp(
    session: AsyncSession, principal: Principal, institution_id: uuid.UUID
) -> None:
    """Remove the server; mails still queued are given up on when they fall due."""
    institution = await administered_institution(
        session, principal, institution_id, for_update=True
    )
    if await repository.smtp_settings(session, institution.id, for_update=True) is None:
        raise NotFound("This institution has no SMTP server configured.")
    await repository.delete_smtp_settings(session, institution.id)
    institution.smtp_enabled = False
    await session.flush()
    await _audit(session, principal, institution, "institution.smtp_removed", {})


async def _audit(
    session: AsyncSession,
    principal: Principal,
    institution: Institution,
    action: str,
    data: dict[str, object],
) -> None:
    await record(
        session,
        principal.actor,
        AuditEntry(action, "institution", str(institution.id), institution.id, data),
    )


# --- queueing claim-link mails -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClaimMailRequest:
    """A new claim link and where to mail it."""

    credential_id: uuid.UUID
    claim_url: str
    link_expires_at: datetime
    email: str
    language: MailLanguage | None = None


async def queue_claim_mails(
    session: AsyncSession, institution: Institution, requests: Sequence[ClaimMailRequest]
) -> int:
    """Queue a mail for each request when the institution mails claim links; return how many.

    Decided from the institution in hand (``smtp_enabled``), so an institution without a server
    costs no query.
    """
    if not institution.smtp_enabled or not requests:
        return 0
    default_language = language_for(institution.country_code)
    mails = []
    for request in requests:
        mail_id = uuid.uuid4()
        mails.append(
            QueuedMail(
                id=mail_id,
                institution_id=institution.id,
                credential_id=request.credential_id,
                recipient_wrapped=_seal(_RECIPIENT, mail_id, request.email),
                claim_url_wrapped=_seal(_CLAIM_URL, mail_id, request.claim_url),
                link_expires_at=request.link_expires_at,
                language=request.language or default_language,
            )
        )
    await repository.queue(session, mails)
    return len(mails)
