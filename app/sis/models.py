"""Integrations with student information systems and the results they send.

An accepted event is stored with one row per course result in the same transaction, before the
intake answers; the worker then gives every result exactly one outcome.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, created_at, updated_at, uuid_pk


class Integration(Base):
    __tablename__ = "integrations"

    id: Mapped[uuid.UUID] = uuid_pk()
    institution_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("institutions.id"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class IntegrationSecret(Base):
    """A Standard Webhooks signing secret, stored wrapped under the key-encryption key."""

    __tablename__ = "integration_secrets"

    id: Mapped[uuid.UUID] = uuid_pk()
    integration_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("integrations.id", ondelete="CASCADE"), index=True
    )
    wrapped: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = created_at()
    # NULL while current; set on rotation to the end of the overlap in which it still verifies.
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CourseMapping(Base):
    __tablename__ = "course_mappings"
    __table_args__ = (
        Index(
            "uq_course_mappings_course_term",
            "integration_id",
            "course_code",
            text("coalesce(term, '')"),
            unique=True,
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    integration_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("integrations.id", ondelete="CASCADE")
    )
    course_code: Mapped[str] = mapped_column(String(64))
    # NULL: the mapping holds for every term without a mapping of its own.
    term: Mapped[str | None] = mapped_column(String(32))
    achievement_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("achievements.id")
    )
    pass_threshold: Mapped[Decimal | None] = mapped_column(Numeric(8, 3))
    pass_values: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class SisEvent(Base):
    __tablename__ = "sis_events"
    __table_args__ = (
        # Deduplication of Standard Webhooks deliveries (and of CSV uploads with a key).
        UniqueConstraint("integration_id", "message_id"),
        Index("ix_sis_events_listing", "institution_id", "received_at", "id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    institution_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("institutions.id")
    )
    integration_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("integrations.id")
    )
    message_id: Mapped[str] = mapped_column(String(255))
    event_type: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16))
    result_count: Mapped[int] = mapped_column(Integer)
    # SHA-256 of the body as received: a retry under the same message id must carry the same
    # body. NULL for events stored before it was recorded.
    body_sha256: Mapped[bytes | None] = mapped_column(LargeBinary)
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class SisResult(Base):
    __tablename__ = "sis_results"
    __table_args__ = (
        UniqueConstraint("event_id", "position"),
        # What the worker claims: pending results in order, due now.
        Index(
            "ix_sis_results_due",
            "next_attempt_at",
            "id",
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_sis_results_listing", "institution_id", "status", "id"),
        Index("ix_sis_results_subject", "subject_key"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("sis_events.id"))
    institution_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("institutions.id")
    )
    integration_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("integrations.id")
    )
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    # integration + student (as an HMAC digest) + course + term; NULL when the payload is invalid.
    subject_key: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    reason_code: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    credential_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    created_at: Mapped[datetime] = created_at()
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
