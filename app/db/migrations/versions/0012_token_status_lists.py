"""token status lists: IETF Token Status Lists, their entries and signed tokens

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 02:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "token_status_lists",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("institution_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("allocated", sa.Integer(), nullable=False),
        sa.Column("permutation_key", sa.LargeBinary(length=16), nullable=False),
        sa.Column("statuses", sa.LargeBinary(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "allocated <= size", name=op.f("ck_token_status_lists_allocated_within_size")
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_token_status_lists_institution_id_institutions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_token_status_lists")),
    )
    op.create_index(
        op.f("ix_token_status_lists_institution_id"), "token_status_lists", ["institution_id"]
    )
    op.create_table(
        "token_status_entries",
        sa.Column("credential_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("list_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("idx", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_token_status_entries_credential_id_credentials"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["token_status_lists.id"],
            name=op.f("fk_token_status_entries_list_id_token_status_lists"),
        ),
        sa.PrimaryKeyConstraint("credential_id", name=op.f("pk_token_status_entries")),
        sa.UniqueConstraint("list_id", "idx", name=op.f("uq_token_status_entries_list_id")),
    )
    op.create_table(
        "token_status_publications",
        sa.Column("list_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("list_version", sa.Integer(), nullable=False),
        sa.Column("jwt", sa.Text(), nullable=False),
        sa.Column("etag", sa.String(length=64), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["token_status_lists.id"],
            name=op.f("fk_token_status_publications_list_id_token_status_lists"),
        ),
        sa.PrimaryKeyConstraint("list_id", name=op.f("pk_token_status_publications")),
    )


def downgrade() -> None:
    op.drop_table("token_status_publications")
    op.drop_table("token_status_entries")
    op.drop_table("token_status_lists")
