from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, uuid_pk

DOCUMENT_ID_INDEX = "uq_credentials_document_id"


class Credential(Base):
    __tablename__ = "credentials"
    __table_args__ = (
        # A status index is never handed out twice: the database holds us to it.
        UniqueConstraint("status_list_id", "status_index"),
        UniqueConstraint("institution_id", "idempotency_key"),
        Index("ix_credentials_listing", "institution_id", "issued_at", "id"),
        Index("ix_credentials_learner_lookup", "learner_lookup", postgresql_using="gin"),
        # A credential's own id names one credential, across every institution and both APIs:
        # status changes and verifiers address credentials by it.
        Index(DOCUMENT_ID_INDEX, text("(document ->> 'id')"), unique=True),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    institution_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("institutions.id")
    )
    # NULL for credentials issued through the VC-API from a caller's own document.
    achievement_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("achievements.id"), index=True
    )
    achievement_version_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("achievement_versions.id")
    )
    signing_key_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("signing_keys.id")
    )
    profile: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), default="active")
    status_list_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("status_lists.id")
    )
    status_index: Mapped[int] = mapped_column(Integer)
    learner_lookup: Mapped[list[str]] = mapped_column(ARRAY(Text))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    valid_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    awarded_on: Mapped[date | None] = mapped_column(Date)
    document: Mapped[dict[str, Any]] = mapped_column(JSONB)
    jwt: Mapped[str] = mapped_column(Text)
    status_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status_reason_code: Mapped[str | None] = mapped_column(String(32))
    status_reason: Mapped[str | None] = mapped_column(Text)
    idempotency_key: Mapped[str | None] = mapped_column(Text)
    request_fingerprint: Mapped[str | None] = mapped_column(String(64))
    # Set while the learner shares the credential at /c/{public_id}; a new one on every publish,
    # so a link shared before an unpublish never opens the page again.
    public_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
