from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, created_at, uuid_pk


class PathwayEvent(Base):
    """The outbox of the pathway engine: one component change to evaluate.

    Written in the transaction of the issuance or status change; the learner (needed to issue a
    stacked credential in their name) is sealed under the KEK, bound to the row, and dropped
    once the event has its outcome. The component is one of our credentials, or an external
    credential a learner brought as evidence (``app.learner_requests``).
    """

    __tablename__ = "pathway_events"
    __table_args__ = (
        CheckConstraint(
            "(credential_id IS NULL) <> (external_credential_id IS NULL)", name="one_component"
        ),
        Index(
            "ix_pathway_events_due",
            "next_attempt_at",
            "id",
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    credential_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("credentials.id", ondelete="CASCADE"), index=True
    )
    external_credential_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("external_credentials.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(16))
    learner_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )
    outcomes: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at()
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PathwayAward(Base):
    """A stacked credential the engine issued, with the component credentials it rests on.

    ``current`` until its credential is revoked: at most one current award per stacked
    achievement and learner, which the database holds the engine to.
    """

    __tablename__ = "pathway_awards"
    __table_args__ = (
        Index(
            "uq_pathway_awards_current",
            "achievement_id",
            "learner_key",
            unique=True,
            postgresql_where=text("current"),
        ),
        Index("ix_pathway_awards_component_ids", "component_ids", postgresql_using="gin"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    institution_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("institutions.id")
    )
    achievement_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("achievements.id")
    )
    learner_key: Mapped[str] = mapped_column(Text)
    credential_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("credentials.id", ondelete="CASCADE"), unique=True
    )
    component_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)))
    ects: Mapped[float | None] = mapped_column(Float)
    current: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = created_at()


class PathwayApproval(Base):
    """A satisfied rule waiting for staff: approving issues the stacked credential."""

    __tablename__ = "pathway_approvals"
    __table_args__ = (
        Index(
            "uq_pathway_approvals_pending",
            "achievement_id",
            "learner_key",
            unique=True,
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_pathway_approvals_listing", "institution_id", "status", "created_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    institution_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("institutions.id")
    )
    achievement_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("achievements.id")
    )
    learner_key: Mapped[str] = mapped_column(Text)
    component_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)))
    ects: Mapped[float | None] = mapped_column(Float)
    # The learner's name and identifiers, sealed under the KEK and bound to the row; dropped
    # once decided.
    learner_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    credential_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("credentials.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = created_at()
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
