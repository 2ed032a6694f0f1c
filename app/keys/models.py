from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, LargeBinary, String, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, created_at, uuid_pk


class SigningKey(Base):
    """An institution's signing key. The private half is stored only wrapped by the KEK."""

    __tablename__ = "signing_keys"
    __table_args__ = (
        UniqueConstraint("institution_id", "kid"),
        Index(
            "uq_signing_keys_one_active",
            "institution_id",
            unique=True,
            postgresql_where=text("status = 'active'"),
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    institution_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("institutions.id"), index=True
    )
    kid: Mapped[str] = mapped_column(String(64))
    algorithm: Mapped[str] = mapped_column(String(8))
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSONB)
    wrapped_private_key: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(8), default="active")
    created_at: Mapped[datetime] = created_at()
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
