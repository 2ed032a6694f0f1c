"""wallet pickup (OpenID4VCI): offers, access tokens, nonces, issuances

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 00:40:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _created_at() -> sa.Column[Any]:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def _institution(table: str, ondelete: str | None = None) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["institution_id"],
        ["institutions.id"],
        name=op.f(f"fk_{table}_institution_id_institutions"),
        ondelete=ondelete,
    )


def _credential(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["credential_id"],
        ["credentials.id"],
        name=op.f(f"fk_{table}_credential_id_credentials"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "wallet_offers",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("institution_id", sa.UUID(), nullable=False),
        sa.Column("credential_id", sa.UUID(), nullable=False),
        sa.Column("configuration_ids", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("offer_key_id", sa.String(length=16), nullable=False),
        sa.Column("offer_secret_hash", sa.LargeBinary(), nullable=False),
        sa.Column("code_key_id", sa.String(length=16), nullable=False),
        sa.Column("code_secret_hash", sa.LargeBinary(), nullable=False),
        sa.Column("tx_code_hash", sa.LargeBinary(), nullable=False),
        sa.Column("tx_code_attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("served_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("redeemed_at", sa.DateTime(timezone=True), nullable=True),
        _created_at(),
        _credential("wallet_offers"),
        _institution("wallet_offers"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wallet_offers")),
        sa.UniqueConstraint("code_key_id", name=op.f("uq_wallet_offers_code_key_id")),
        sa.UniqueConstraint("offer_key_id", name=op.f("uq_wallet_offers_offer_key_id")),
    )
    op.create_index(
        op.f("ix_wallet_offers_credential_id"), "wallet_offers", ["credential_id"], unique=False
    )
    op.create_table(
        "wallet_access_tokens",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("offer_id", sa.UUID(), nullable=False),
        sa.Column("institution_id", sa.UUID(), nullable=False),
        sa.Column("credential_id", sa.UUID(), nullable=False),
        sa.Column("configuration_ids", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("secret_hash", sa.LargeBinary(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        _created_at(),
        _credential("wallet_access_tokens"),
        _institution("wallet_access_tokens"),
        sa.ForeignKeyConstraint(
            ["offer_id"],
            ["wallet_offers.id"],
            name=op.f("fk_wallet_access_tokens_offer_id_wallet_offers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wallet_access_tokens")),
        sa.UniqueConstraint("key_id", name=op.f("uq_wallet_access_tokens_key_id")),
        sa.UniqueConstraint("offer_id", name=op.f("uq_wallet_access_tokens_offer_id")),
    )
    op.create_index(
        op.f("ix_wallet_access_tokens_credential_id"),
        "wallet_access_tokens",
        ["credential_id"],
        unique=False,
    )
    op.create_table(
        "wallet_nonces",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("secret_hash", sa.LargeBinary(), nullable=False),
        sa.Column("institution_id", sa.UUID(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        _created_at(),
        _institution("wallet_nonces", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wallet_nonces")),
        sa.UniqueConstraint("key_id", name=op.f("uq_wallet_nonces_key_id")),
    )
    op.create_index(
        op.f("ix_wallet_nonces_expires_at"), "wallet_nonces", ["expires_at"], unique=False
    )
    op.create_table(
        "wallet_issuances",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("access_token_id", sa.UUID(), nullable=False),
        sa.Column("credential_id", sa.UUID(), nullable=False),
        sa.Column("configuration_id", sa.Text(), nullable=False),
        sa.Column("holder_dids", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("notification_event", sa.String(length=32), nullable=True),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True),
        _created_at(),
        sa.ForeignKeyConstraint(
            ["access_token_id"],
            ["wallet_access_tokens.id"],
            name=op.f("fk_wallet_issuances_access_token_id_wallet_access_tokens"),
            ondelete="CASCADE",
        ),
        _credential("wallet_issuances"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wallet_issuances")),
        sa.UniqueConstraint(
            "access_token_id",
            "configuration_id",
            name=op.f("uq_wallet_issuances_access_token_id"),
        ),
    )
    op.create_index(
        op.f("ix_wallet_issuances_credential_id"),
        "wallet_issuances",
        ["credential_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("wallet_issuances")
    op.drop_table("wallet_nonces")
    op.drop_table("wallet_access_tokens")
    op.drop_table("wallet_offers")
