"""issuer certificates: the X.509 chains certifying institutions' signing keys

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 02:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "issuer_certificates",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("institution_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("signing_key_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("chain_pem", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("issuer", sa.Text(), nullable=False),
        sa.Column("serial_number", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("not_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("development", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_issuer_certificates_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["signing_key_id"],
            ["signing_keys.id"],
            name=op.f("fk_issuer_certificates_signing_key_id_signing_keys"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issuer_certificates")),
        sa.UniqueConstraint(
            "signing_key_id", "fingerprint", name=op.f("uq_issuer_certificates_signing_key_id")
        ),
    )
    op.create_index(
        op.f("ix_issuer_certificates_institution_id"),
        "issuer_certificates",
        ["institution_id"],
    )
    op.create_index(
        "ix_issuer_certificates_key_validity",
        "issuer_certificates",
        ["signing_key_id", "not_before"],
    )


def downgrade() -> None:
    op.drop_table("issuer_certificates")
