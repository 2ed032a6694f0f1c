"""What wallet pickup keeps: offers, access tokens, nonces and the credentials handed out.

Every secret (offer reference, pre-authorised code, transaction code, access token, c_nonce) is
kept only as SHA-256; each row is found by a key id that is not secret, and the hash compared in
constant time. All of it lives here, so any replica answers any step of a pickup.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, created_at, uuid_pk


class WalletOffer(Base):
    """A credential offer: its reference (served once), its pre-authorised code and tx_code."""

    __tablename__ = "wallet_offers"

    id: Mapped[uuid.UUID] = uuid_pk()
    institution_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("institutions.id")
    )
    credential_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("credentials.id", ondelete="CASCADE"), index=True
    )
    configuration_ids: Mapped[list[str]] = mapped_column(ARRAY(Text))
    offer_key_id: Mapped[str] = mapped_column(String(16), unique=True)
    offer_secret_hash: Mapped[bytes] = mapped_column(LargeBinary)
    code_key_id: Mapped[str] = mapped_column(String(16), unique=True)
    code_secret_hash: Mapped[bytes] = mapped_column(LargeBinary)
    # SHA-256 over the offer's id and the code, so equal codes of two offers differ at rest.
    tx_code_hash: Mapped[bytes] = mapped_column(LargeBinary)
    tx_code_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    served_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    redeemed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at()


class WalletAccessToken(Base):
    """An access token of the credential endpoint, bought with one offer's pre-authorised code."""

    __tablename__ = "wallet_access_tokens"

    id: Mapped[uuid.UUID] = uuid_pk()
    offer_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("wallet_offers.id", ondelete="CASCADE"), unique=True
    )
    institution_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("institutions.id")
    )
    credential_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("credentials.id", ondelete="CASCADE"), index=True
    )
    configuration_ids: Mapped[list[str]] = mapped_column(ARRAY(Text))
    key_id: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[bytes] = mapped_column(LargeBinary)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at()


class WalletNonce(Base):
    """A c_nonce: deleted by the request that uses it, so it is good for one request."""

    __tablename__ = "wallet_nonces"

    id: Mapped[uuid.UUID] = uuid_pk()
    key_id: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[bytes] = mapped_column(LargeBinary)
    institution_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("institutions.id", ondelete="CASCADE")
    )
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    created_at: Mapped[datetime] = created_at()


class WalletIssuance(Base):
    """Credentials handed to a wallet under one access token in one configuration.

    Its id is the ``notification_id`` the wallet reports back with. One per token and
    configuration: the database refuses a second pickup of the same configuration.
    """

    __tablename__ = "wallet_issuances"
    __table_args__ = (UniqueConstraint("access_token_id", "configuration_id"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    access_token_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("wallet_access_tokens.id", ondelete="CASCADE")
    )
    credential_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("credentials.id", ondelete="CASCADE"), index=True
    )
    configuration_id: Mapped[str] = mapped_column(Text)
    holder_dids: Mapped[list[str]] = mapped_column(ARRAY(Text))
    notification_event: Mapped[str | None] = mapped_column(String(32))
    notified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at()
