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
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, created_at, uuid_pk


class TokenStatusList(Base):
    """An IETF Token Status List: 2 bits per entry, packed as the draft packs them.

    ``statuses`` holds entry ``i`` in bits ``2i`` and ``2i + 1`` counted from the least
    significant bit of each byte, the order of the specification and of Postgres ``set_bit``.
    Entries are handed out like Bitstring Status List slots: a keyed permutation of a counter.
    """

    __tablename__ = "token_status_lists"
    __table_args__ = (CheckConstraint("allocated <= size", name="allocated_within_size"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    institution_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("institutions.id"), index=True
    )
    size: Mapped[int] = mapped_column(Integer)
    allocated: Mapped[int] = mapped_column(Integer, default=0)
    permutation_key: Mapped[bytes] = mapped_column(LargeBinary(16))
    statuses: Mapped[bytes] = mapped_column(LargeBinary)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = created_at()


class TokenStatusEntry(Base):
    """A credential's one entry in a Token Status List."""

    __tablename__ = "token_status_entries"
    __table_args__ = (UniqueConstraint("list_id", "idx"),)

    credential_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("credentials.id", ondelete="CASCADE"), primary_key=True
    )
    list_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("token_status_lists.id")
    )
    idx: Mapped[int] = mapped_column(Integer)


class TokenStatusPublication(Base):
    """The last signed Status List Token of a list; signed again when it falls behind."""

    __tablename__ = "token_status_publications"

    list_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("token_status_lists.id"), primary_key=True
    )
    list_version: Mapped[int] = mapped_column(Integer)
    jwt: Mapped[str] = mapped_column(Text)
    etag: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
