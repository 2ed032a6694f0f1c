from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, created_at, uuid_pk


class StatusList(Base):
    """A pair of bitstrings (revocation, suspension) sharing one index space.

    Indexes are handed out as a keyed pseudo-random permutation of a counter, so they look random
    to anyone reading the list and can never repeat.
    """

    __tablename__ = "status_lists"
    __table_args__ = (CheckConstraint("allocated <= size", name="allocated_within_size"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    institution_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("institutions.id"), index=True
    )
    size: Mapped[int] = mapped_column(Integer)
    allocated: Mapped[int] = mapped_column(Integer, default=0)
    permutation_key: Mapped[bytes] = mapped_column(LargeBinary(16))
    revocation_bits: Mapped[bytes] = mapped_column(LargeBinary)
    suspension_bits: Mapped[bytes] = mapped_column(LargeBinary)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = created_at()


class StatusListPublication(Base):
    """The last signed ``BitstringStatusListCredential`` of one purpose of a list."""

    __tablename__ = "status_list_publications"

    status_list_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("status_lists.id"), primary_key=True
    )
    purpose: Mapped[str] = mapped_column(String(16), primary_key=True)
    list_version: Mapped[int] = mapped_column(Integer)
    jwt: Mapped[str] = mapped_column(Text)
    etag: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
