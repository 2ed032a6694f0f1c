"""claim links and the learner's consent to share

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 23:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "claim_links",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("secret_hash", sa.LargeBinary(), nullable=False),
        sa.Column("credential_id", sa.UUID(), nullable=False),
        sa.Column("institution_id", sa.UUID(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_claim_links_credential_id_credentials"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_claim_links_institution_id_institutions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_links")),
        sa.UniqueConstraint("key_id", name=op.f("uq_claim_links_key_id")),
    )
    op.create_index(
        op.f("ix_claim_links_credential_id"), "claim_links", ["credential_id"], unique=False
    )
    op.create_index(
        "uq_claim_links_current",
        "claim_links",
        ["credential_id"],
        unique=True,
        postgresql_where=sa.text("replaced_at IS NULL"),
    )
    op.add_column("credentials", sa.Column("public_id", sa.String(length=32), nullable=True))
    op.add_column(
        "credentials", sa.Column("published_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_unique_constraint(op.f("uq_credentials_public_id"), "credentials", ["public_id"])


def downgrade() -> None:
    op.drop_constraint(op.f("uq_credentials_public_id"), "credentials", type_="unique")
    op.drop_column("credentials", "published_at")
    op.drop_column("credentials", "public_id")
    op.drop_index("uq_claim_links_current", table_name="claim_links")
    op.drop_index(op.f("ix_claim_links_credential_id"), table_name="claim_links")
    op.drop_table("claim_links")
