"""Queries of the mail package: SMTP settings and the claim-link mail outbox."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.notify import WORK_CHANNEL
from app.mail.models import SmtpSettings

# The payload of the notification that wakes the worker's mail loop.
MAIL_WORK = "mail"


async def smtp_settings(
    session: AsyncSession, institution_id: uuid.UUID, *, for_update: bool = False
) -> SmtpSettings | None:
    query = select(SmtpSettings).where(SmtpSettings.institution_id == institution_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def delete_smtp_settings(session: AsyncSession, institution_id: uuid.UUID) -> None:
    await session.execute(delete(SmtpSettings).where(SmtpSettings.institution_id == institution_id))


_QUEUE = text(
    """
    WITH queued AS (
        INSERT INTO mail_outbox (id, institution_id, credential_id, recipient_wrapped,
                                 claim_url_wrapped, link_expires_at, language, status, attempts)
        SELECT id, institution_id, credential_id, decode(recipient, 'base64'),
               decode(claim_url, 'base64'), link_expires_at, language, 'pending', 0
        FROM jsonb_to_recordset(CAST(CAST(:rows AS text) AS jsonb)) AS r(
            id uuid, institution_id uuid, credential_id uuid, recipient text, claim_url text,
            link_expires_at timestamptz, language text)
        RETURNING 1
    )
    SELECT pg_notify(:channel, :work) WHERE EXISTS (SELECT 1 FROM queued)
    """
)


@dataclass(frozen=True, slots=True)
class QueuedMail:
    id: uuid.UUID
    institution_id: uuid.UUID
    credential_id: uuid.UUID
    recipient_wrapped: bytes
    claim_url_wrapped: bytes
    link_expires_at: datetime
    language: str


async def queue(session: AsyncSession, mails: Sequence[QueuedMail]) -> None:
    """Write the mails and wake the worker at commit, in one statement."""
    if not mails:
        return
    rows = [
        {
            "id": str(m.id),
            "institution_id": str(m.institution_id),
            "credential_id": str(m.credential_id),
            "recipient": base64.b64encode(m.recipient_wrapped).decode(),
            "claim_url": base64.b64encode(m.claim_url_wrapped).decode(),
            "link_expires_at": m.link_expires_at.isoformat(),
            "language": m.language,
        }
        for m in mails
    ]
    await session.execute(
        _QUEUE, {"rows": orjson.dumps(rows).decode(), "channel": WORK_CHANNEL, "work": MAIL_WORK}
    )


# --- the worker's mail loop -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LeasedMail:
    """A due mail with what sending it needs: the server, the names, the sealed values."""

    id: uuid.UUID
    institution_id: uuid.UUID
    attempts: int
    recipient_wrapped: bytes | None
    claim_url_wrapped: bytes | None
    link_expires_at: datetime
    language: str
    institution_name: str
    achievement_name: str
    smtp: SmtpSettings | None  # None: the institution has no (enabled) server now


_LEASE = text(
    """
    WITH leased AS (
        UPDATE mail_outbox AS m
        SET next_attempt_at = now() + make_interval(secs => :lease)
        WHERE m.id IN (
            SELECT id FROM mail_outbox
            WHERE status = 'pending' AND next_attempt_at <= now()
            ORDER BY next_attempt_at
            LIMIT :limit
            FOR UPDATE SKIP LOCKED)
        RETURNING m.id, m.institution_id, m.credential_id, m.attempts, m.recipient_wrapped,
                  m.claim_url_wrapped, m.link_expires_at, m.language
    )
    SELECT l.id, l.institution_id, l.attempts, l.recipient_wrapped, l.claim_url_wrapped,
           l.link_expires_at, l.language, i.display_name,
           coalesce(c.document #>> '{credentialSubject,achievement,name}', ''),
           s.host, s.port, s.security, s.username, s.password_wrapped, s.from_address,
           s.from_name, s.enabled
    FROM leased AS l
    JOIN institutions AS i ON i.id = l.institution_id
    JOIN credentials AS c ON c.id = l.credential_id
    LEFT JOIN smtp_settings AS s ON s.institution_id = l.institution_id
    """
)


async def lease_due(session: AsyncSession, limit: int, lease_seconds: float) -> list[LeasedMail]:
    """Take due mails for ``lease_seconds``: if this worker dies, they fall due again."""
    rows = await session.execute(_LEASE, {"limit": limit, "lease": lease_seconds})
    leased = []
    for row in rows:
        (id_, institution_id, attempts, recipient, claim_url, expires, language, name) = row[:8]
        host, port, security, username, password, from_address, from_name, enabled = row[9:]
        smtp = (
            SmtpSettings(
                institution_id=institution_id,
                host=host,
                port=port,
                security=security,
                username=username,
                password_wrapped=password,
                from_address=from_address,
                from_name=from_name,
                enabled=enabled,
            )
            if host is not None and enabled
            else None
        )
        leased.append(
            LeasedMail(
                id_,
                institution_id,
                attempts,
                recipient,
                claim_url,
                expires,
                language,
                name,
                row[8],
                smtp,
            )
        )
    return leased


@dataclass(frozen=True, slots=True)
class MailOutcome:
    mail_id: uuid.UUID
    ok: bool
    error: str | None  # never the address: a class of failure and the SMTP code
    retry_in: float | None  # None: no further attempt


_RECORD = text(
    """
    UPDATE mail_outbox AS m
    SET attempts = m.attempts + 1,
        status = CASE WHEN o.ok THEN 'sent' WHEN o.retry_in IS NULL THEN 'failed'
                      ELSE 'pending' END,
        last_error = o.error,
        next_attempt_at = now() + make_interval(secs => coalesce(o.retry_in, 0)),
        finished_at = CASE WHEN o.ok OR o.retry_in IS NULL THEN now() END,
        -- A mail that is done with keeps no address and no link: only its outcome.
        recipient_wrapped = CASE WHEN o.ok OR o.retry_in IS NULL THEN NULL
                                 ELSE m.recipient_wrapped END,
        claim_url_wrapped = CASE WHEN o.ok OR o.retry_in IS NULL THEN NULL
                                 ELSE m.claim_url_wrapped END
    FROM jsonb_to_recordset(CAST(CAST(:rows AS text) AS jsonb))
         AS o(mail_id uuid, ok boolean, error text, retry_in float8)
    WHERE m.id = o.mail_id
    """
)


async def record_outcomes(session: AsyncSession, outcomes: Sequence[MailOutcome]) -> None:
    rows: list[dict[str, Any]] = [
        {"mail_id": str(o.mail_id), "ok": o.ok, "error": o.error, "retry_in": o.retry_in}
        for o in outcomes
    ]
    await session.execute(_RECORD, {"rows": orjson.dumps(rows).decode()})
