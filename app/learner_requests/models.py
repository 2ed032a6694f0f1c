from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, created_at, uuid_pk


class ExternalCredential(Base):
    """A credential of another issuer that a learner brought as evidence, accepted once verified.

    Only what a pathway rule looks at is kept, with the learner's keyed look-up digests (as
    ``credentials.learner_lookup``): never the token, whose subject names the learner in clear.
    The pathway engine counts it as a component of the other issuer's achievement.
    """

    __tablename__ = "external_credentials"
    __table_args__ = (
        # One institution accepts one credential once; a second request reuses the row.
        UniqueConstraint("institution_id", "document_id"),
        Index("ix_external_credentials_learner_lookup", "learner_lookup", postgresql_using="gin"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    institution_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("institutions.id")
    )
    # The credential's own ``id`` (``urn:uuid:…``), or ``sha256:<token digest>`` without one.
    document_id: Mapped[str] = mapped_column(Text)
    issuer_did: Mapped[str] = mapped_column(Text)
    # The achievement as its issuer names it (a Stapel issuer's version-less URL).
    achievement_url: Mapped[str] = mapped_column(Text)
    achievement_name: Mapped[str | None] = mapped_column(Text)
    learner_lookup: Mapped[list[str]] = mapped_column(ARRAY(Text))
    ects: Mapped[float | None] = mapped_column(Float)
    eqf_level: Mapped[int | None] = mapped_column(SmallInteger)
    field_of_study: Mapped[str | None] = mapped_column(Text)
    grade: Mapped[str | None] = mapped_column(Text)
    awarded_on: Mapped[date | None] = mapped_column(Date)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    valid_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    token_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = created_at()


class CredentialRequest(Base):
    """A learner asking the institution for a micro-credential, with evidence, until decided.

    The learner's name and identifiers are sealed under the KEK (bound to the row), found by
    their first keyed look-up digest, and dropped once the request is decided.
    """

    __tablename__ = "credential_requests"
    __table_args__ = (
        Index("ix_credential_requests_listing", "institution_id", "status", "created_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    institution_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("institutions.id")
    )
    achievement_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("achievements.id")
    )
    learner_key: Mapped[str] = mapped_column(Text)
    learner_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    evidence_text: Mapped[str | None] = mapped_column(Text)
    evidence_url: Mapped[str | None] = mapped_column(Text)
    external_credential_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("external_credentials.id", ondelete="SET NULL")
    )
    # ``api`` (an LMS or SIS on the learner's behalf) or ``claim_page`` (the learner).
    source: Mapped[str] = mapped_column(String(16))
    requested_by: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    reason: Mapped[str | None] = mapped_column(Text)
    credential_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("credentials.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = created_at()
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
