from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Float, ForeignKey, SmallInteger, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, created_at, updated_at, uuid_pk


class Recognition(Base):
    """An issuer whose credentials the institution accepts as its own towards its pathways.

    Empty restrictions mean "everything this issuer issues"; each one given narrows it.
    """

    __tablename__ = "recognitions"
    __table_args__ = (UniqueConstraint("institution_id", "issuer_did"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    institution_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("institutions.id", ondelete="CASCADE")
    )
    issuer_did: Mapped[str] = mapped_column(Text)
    # Achievement ids as the issuer names them (for an issuer on this instance, the version-less
    # achievement URL).
    achievement_ids: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    eqf_min: Mapped[int | None] = mapped_column(SmallInteger)
    eqf_max: Mapped[int | None] = mapped_column(SmallInteger)
    ects_min: Mapped[float | None] = mapped_column(Float)
    ects_max: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
