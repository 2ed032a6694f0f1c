"""Claim links and the learner's consent to share: the rules behind the learner's pages.

A credential is private until its learner publishes it. Whoever holds the claim link is the
learner as far as Stapel can tell; the link is made at issuance (shown once, kept only as a
hash), lives ``STAPEL_CLAIM_LINK_DAYS`` and can be renewed by staff, which ends the old one.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import AuditEntry, record
from app.auth.principal import Principal
from app.config import get_settings
from app.credentials import repository as credentials
from app.credentials.models import Credential
from app.db.writes import Write, execute_writes
from app.errors import ClaimLinkExpired, InvalidState, NotFound
from app.institutions.service import institution_of
from app.mail.schemas import ClaimLinkMail
from app.mail.service import ClaimMailRequest, queue_claim_mails
from app.sharing import repository
from app.sharing.models import ClaimLink
from app.sharing.tokens import new_claim_token, new_public_id, parse_claim_token

_UNKNOWN = "This link does not lead to a credential."
# What new_public_id makes: base64url, so anything else is no address of ours.
_PUBLIC_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")


@dataclass(frozen=True, slots=True)
class IssuedClaim:
    """A claim link as made: its URL holds the secret and exists only in this answer."""

    credential_id: uuid.UUID
    url: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Claimed:
    link: ClaimLink
    credential: Credential

    @property
    def actor(self) -> str:
        return f"learner:claim_link:{self.link.id}"


def claim_url(token: str) -> str:
    return f"{get_settings().public_base_url}/claim/{token}"


def public_url(public_id: str) -> str:
    return f"{get_settings().public_base_url}/c/{public_id}"


async def create_links(
    session: AsyncSession, institution_id: uuid.UUID, credential_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, IssuedClaim]:
    """One new claim link per credential, in one statement; the credentials have none yet."""
    issued, write = new_links([(institution_id, credential_id) for credential_id in credential_ids])
    await execute_writes(session, [write])
    return issued


def new_links(
    credentials: Sequence[tuple[uuid.UUID, uuid.UUID]],
) -> tuple[dict[uuid.UUID, IssuedClaim], Write | None]:
    """One new claim link per (institution, credential), and the write that stores them."""
    now = datetime.now(UTC)
    expires_at = now + timedelta(days=get_settings().claim_link_days)
    rows, issued = [], {}
    for institution_id, credential_id in credentials:
        token = new_claim_token()
        rows.append(
            {
                "id": uuid.uuid4(),
                "key_id": token.key_id,
                "secret_hash": token.secret_hash,
                "credential_id": credential_id,
                "institution_id": institution_id,
                "expires_at": expires_at,
                "created_at": now,
            }
        )
        issued[credential_id] = IssuedClaim(credential_id, claim_url(token.token), expires_at)
    return issued, repository.links_write(rows)


async def renew(
    session: AsyncSession,
    principal: Principal,
    credential_id: uuid.UUID,
    mail_to: ClaimLinkMail | None = None,
) -> IssuedClaim:
    """A new claim link for a credential of the caller's institution; the old one stops working.

    With ``mail_to`` the new link is also mailed to the learner through the institution's SMTP
    server, which must then be configured and enabled.
    """
    institution = await institution_of(session, principal)
    if mail_to is not None and not institution.smtp_enabled:
        raise InvalidState("This institution has no enabled SMTP server to mail the link with.")
    credential = await credentials.get_for_update(session, principal.tenant(), credential_id)
    if credential is None:
        raise NotFound("No such credential.")
    await repository.replace_current(session, credential.id, datetime.now(UTC))
    issued = (await create_links(session, credential.institution_id, [credential.id]))[
        credential.id
    ]
    if mail_to is not None:
        request = ClaimMailRequest(
            credential.id, issued.url, issued.expires_at, mail_to.email, mail_to.language
        )
        await queue_claim_mails(session, institution, [request])
    await record(
        session,
        principal.actor,
        AuditEntry(
            "credential.claim_link_renewed",
            "credential",
            str(credential.id),
            credential.institution_id,
            {"expires_at": issued.expires_at.isoformat(), "mailed": mail_to is not None},
        ),
    )
    return issued


async def open_claim(session: AsyncSession, token: str, *, for_update: bool = False) -> Claimed:
    """The link and its credential; 404 for a link that never was, 410 for one that ended.

    A wrong secret under a real key id is answered like an unknown link, so the answer tells
    nothing about which links exist.
    """
    parsed = parse_claim_token(token)
    found = (
        await repository.link_with_credential(session, parsed.key_id, for_update=for_update)
        if parsed
        else None
    )
    if parsed is None or found is None or not parsed.matches(found[0].secret_hash):
        raise NotFound(_UNKNOWN)
    link, credential = found
    if link.replaced_at is not None:
        raise ClaimLinkExpired("This link was replaced by a newer one; use the latest link.")
    if link.expires_at <= datetime.now(UTC):
        raise ClaimLinkExpired("This link has expired; ask the institution for a new one.")
    return Claimed(link, credential)


async def publish(session: AsyncSession, token: str) -> Claimed:
    """Make the credential's page public; publishing twice keeps the same public address."""
    claimed = await open_claim(session, token, for_update=True)
    credential = claimed.credential
    if credential.state == "revoked":
        raise InvalidState("A revoked credential cannot be shared.")
    if credential.public_id is None:
        await repository.set_publication(session, credential, new_public_id(), datetime.now(UTC))
        await _audit_consent(session, claimed, "credential.published")
    return claimed


async def unpublish(session: AsyncSession, token: str) -> Claimed:
    claimed = await open_claim(session, token, for_update=True)
    if claimed.credential.public_id is not None:
        await repository.set_publication(session, claimed.credential, None, None)
        await _audit_consent(session, claimed, "credential.unpublished")
    return claimed


async def public_credential(session: AsyncSession, public_id: str) -> Credential:
    return shared(
        await repository.by_public_id(session, public_id)
        if _PUBLIC_ID.fullmatch(public_id)
        else None
    )


def shared(credential: Credential | None) -> Credential:
    """The credential read for a public address; ``NotFound`` when the address shares none."""
    if credential is None:
        raise NotFound("No credential is shared at this address.")
    return credential


async def public_credentials(
    session: AsyncSession, public_ids: Sequence[str]
) -> dict[str, Credential]:
    """The credentials shared at those addresses, by address; an address that shares none is
    left out."""
    valid = [public_id for public_id in public_ids if _PUBLIC_ID.fullmatch(public_id)]
    found = await repository.by_public_ids(session, valid) if valid else []
    return {credential.public_id: credential for credential in found if credential.public_id}


async def _audit_consent(session: AsyncSession, claimed: Claimed, action: str) -> None:
    credential = claimed.credential
    await record(
        session,
        claimed.actor,
        AuditEntry(action, "credential", str(credential.id), credential.institution_id),
    )
