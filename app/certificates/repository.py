"""Queries on ``issuer_certificates``."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from app.certificates.models import IssuerCertificate
from app.institutions.models import Institution
from app.keys.models import SigningKey


async def of_key(session: AsyncSession, signing_key_id: uuid.UUID) -> Sequence[IssuerCertificate]:
    """A key's certificates, newest validity first (the order "current" is chosen in)."""
    query = (
        select(IssuerCertificate)
        .where(IssuerCertificate.signing_key_id == signing_key_id)
        .order_by(IssuerCertificate.not_before.desc(), IssuerCertificate.created_at.desc())
    )
    return (await session.execute(query)).scalars().all()


async def of_institution(
    session: AsyncSession, institution_id: uuid.UUID
) -> Sequence[tuple[IssuerCertificate, str]]:
    """An institution's certificates with the kid of the key each certifies, newest first."""
    query = (
        select(IssuerCertificate, SigningKey.kid)
        .join(SigningKey, SigningKey.id == IssuerCertificate.signing_key_id)
        .where(IssuerCertificate.institution_id == institution_id)
        .order_by(IssuerCertificate.created_at.desc(), IssuerCertificate.id)
    )
    return [(row[0], row[1]) for row in (await session.execute(query)).all()]


async def exists(session: AsyncSession, signing_key_id: uuid.UUID, fingerprint: str) -> bool:
    query = select(IssuerCertificate.id).where(
        IssuerCertificate.signing_key_id == signing_key_id,
        IssuerCertificate.fingerprint == fingerprint,
    )
    return (await session.execute(query)).first() is not None


async def retire_of_institution(session: AsyncSession, institution_id: uuid.UUID) -> None:
    """Mark every certificate of the institution's keys retired (its active key is rotating)."""
    await session.execute(
        update(IssuerCertificate)
        .where(
            IssuerCertificate.institution_id == institution_id,
            IssuerCertificate.retired_at.is_(None),
        )
        .values(retired_at=datetime.now(UTC))
    )


async def development_current(session: AsyncSession) -> Sequence[str]:
    """Slugs of institutions whose active key's current certificate is a development one."""
    now = datetime.now(UTC)
    current = (
        select(IssuerCertificate.signing_key_id, IssuerCertificate.development)
        .where(IssuerCertificate.not_before <= now, IssuerCertificate.not_after >= now)
        .order_by(
            IssuerCertificate.signing_key_id,
            IssuerCertificate.not_before.desc(),
            IssuerCertificate.created_at.desc(),
        )
        .ext(distinct_on(IssuerCertificate.signing_key_id))
        .subquery()
    )
    query = (
        select(Institution.slug)
        .join(SigningKey, SigningKey.institution_id == Institution.id)
        .join(current, current.c.signing_key_id == SigningKey.id)
        .where(SigningKey.status == "active", current.c.development.is_(True))
        .order_by(Institution.slug)
    )
    return (await session.execute(query)).scalars().all()
