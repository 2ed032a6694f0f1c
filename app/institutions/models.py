from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, created_at, updated_at, uuid_pk


class Institution(Base):
    __tablename__ = "institutions"

    id: Mapped[uuid.UUID] = uuid_pk()
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    legal_name: Mapped[str] = mapped_column(Text)
    display_name: Mapped[str] = mapped_column(Text)
    country_code: Mapped[str] = mapped_column(String(2))
    region: Mapped[str | None] = mapped_column(Text)
    identifiers: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    url: Mapped[str | None] = mapped_column(Text)
    contact_email: Mapped[str | None] = mapped_column(Text)
    logo_url: Mapped[str | None] = mapped_column(Text)
    recognised: Mapped[bool] = mapped_column(Boolean, default=False)
    quality_assurance_statement: Mapped[str | None] = mapped_column(Text)
    quality_assurance_framework: Mapped[str | None] = mapped_column(Text)
    default_profile: Mapped[str] = mapped_column(String(16), default="vc-jose")
    ects_min: Mapped[float] = mapped_column(Float)
    ects_max: Mapped[float] = mapped_column(Float)
    # Whether claim links are mailed: mirrors smtp_settings.enabled (app/mail), kept here so
    # that issuance reads it from the institution it has in hand.
    smtp_enabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    # Whether credentials issued from now on carry a suspension status entry besides revocation
    # (and so can be suspended); see app/credentials/ob3_schema.py for what that means for them.
    suspendable_credentials: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default="false"
    )
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class OrgUnit(Base):
    """An organisational unit (faculty, department) of an institution."""

    __tablename__ = "org_units"
    __table_args__ = (UniqueConstraint("institution_id", "name"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    institution_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("institutions.id"), index=True
    )
    name: Mapped[str] = mapped_column(Text)
    code: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at()
