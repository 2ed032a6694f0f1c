from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, created_at


class StoredImage(Base):
    """An uploaded image, re-encoded as PNG and addressed by the SHA-256 of those bytes.

    Shared by every institution (the same bytes are one row) and public: an achievement image
    or a logo is shown to anyone. A row is never changed, and never deleted while a credential
    may name its URL, so the URL can be cached for good.
    """

    __tablename__ = "images"
    __table_args__ = (CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name="sha256_hex"),)

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    media_type: Mapped[str] = mapped_column(String(32))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = created_at()
