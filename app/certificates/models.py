from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, created_at, uuid_pk


class IssuerCertificate(Base):
    """The certificate chain a CA issued for one signing key, leaf first, as PEM.

    Never deleted: a credential signed while this chain was current carries it in its ``x5c``.
    ``retired_at`` is set when the key it certifies is rotated out.
    """

    __tablename__ = "issuer_certificates"
    __table_args__ = (
        UniqueConstraint("signing_key_id", "fingerprint"),
        Index("ix_issuer_certificates_key_validity", "signing_key_id", "not_before"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    institution_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("institutions.id"), index=True
    )
    signing_key_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("signing_keys.id")
    )
    chain_pem: Mapped[str] = mapped_column(Text)
    # The leaf's: what lists show, without parsing the chain.
    subject: Mapped[str] = mapped_column(Text)
    issuer: Mapped[str] = mapped_column(Text)
    serial_number: Mapped[str] = mapped_column(String(64))
    fingerprint: Mapped[str] = mapped_column(String(64))
    not_before: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    not_after: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    development: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = created_at()
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
