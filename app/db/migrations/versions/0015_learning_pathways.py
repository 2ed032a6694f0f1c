"""learning pathways: recognitions, the pathway on achievement versions, events, awards, approvals

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 02:40:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UUID = postgresql.UUID(as_uuid=True)


def _created_at() -> sa.Column[Any]:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def upgrade() -> None:
    op.add_column(
        "achievement_versions",
        sa.Column("pathway", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    )
    op.create_index(
        "ix_achievement_versions_pathway",
        "achievement_versions",
        ["achievement_id"],
        postgresql_where=sa.text("pathway IS NOT NULL"),
    )
    op.create_table(
        "recognitions",
        sa.Column("id", _UUID, nullable=False),
        sa.Column("institution_id", _UUID, nullable=False),
        sa.Column("issuer_did", sa.Text(), nullable=False),
        sa.Column("achievement_ids", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("eqf_min", sa.SmallInteger(), nullable=True),
        sa.Column("eqf_max", sa.SmallInteger(), nullable=True),
        sa.Column("ects_min", sa.Float(), nullable=True),
        sa.Column("ects_max", sa.Float(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        _created_at(),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_recognitions_institution_id_institutions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recognitions")),
        sa.UniqueConstraint(
            "institution_id", "issuer_did", name=op.f("uq_recognitions_institution_id")
        ),
    )
    op.create_table(
        "pathway_events",
        sa.Column("id", _UUID, nullable=False),
        sa.Column("credential_id", _UUID, nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("learner_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column(
            "next_attempt_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("outcomes", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        _created_at(),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_pathway_events_credential_id_credentials"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pathway_events")),
    )
    op.create_index(
        "ix_pathway_events_due",
        "pathway_events",
        ["next_attempt_at", "id"],
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(op.f("ix_pathway_events_credential_id"), "pathway_events", ["credential_id"])
    op.create_table(
        "pathway_awards",
        sa.Column("id", _UUID, nullable=False),
        sa.Column("institution_id", _UUID, nullable=False),
        sa.Column("achievement_id", _UUID, nullable=False),
        sa.Column("learner_key", sa.Text(), nullable=False),
        sa.Column("credential_id", _UUID, nullable=False),
        sa.Column("component_ids", postgresql.ARRAY(_UUID), nullable=False),
        sa.Column("ects", sa.Float(), nullable=True),
        sa.Column("current", sa.Boolean(), nullable=False),
        _created_at(),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_pathway_awards_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["achievement_id"],
            ["achievements.id"],
            name=op.f("fk_pathway_awards_achievement_id_achievements"),
        ),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_pathway_awards_credential_id_credentials"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pathway_awards")),
        sa.UniqueConstraint("credential_id", name=op.f("uq_pathway_awards_credential_id")),
    )
    op.create_index(
        "uq_pathway_awards_current",
        "pathway_awards",
        ["achievement_id", "learner_key"],
        unique=True,
        postgresql_where=sa.text("current"),
    )
    op.create_index(
        "ix_pathway_awards_component_ids",
        "pathway_awards",
        ["component_ids"],
        postgresql_using="gin",
    )
    op.create_table(
        "pathway_approvals",
        sa.Column("id", _UUID, nullable=False),
        sa.Column("institution_id", _UUID, nullable=False),
        sa.Column("achievement_id", _UUID, nullable=False),
        sa.Column("learner_key", sa.Text(), nullable=False),
        sa.Column("component_ids", postgresql.ARRAY(_UUID), nullable=False),
        sa.Column("ects", sa.Float(), nullable=True),
        sa.Column("learner_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("credential_id", _UUID, nullable=True),
        _created_at(),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_pathway_approvals_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["achievement_id"],
            ["achievements.id"],
            name=op.f("fk_pathway_approvals_achievement_id_achievements"),
        ),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_pathway_approvals_credential_id_credentials"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pathway_approvals")),
    )
    op.create_index(
        "uq_pathway_approvals_pending",
        "pathway_approvals",
        ["achievement_id", "learner_key"],
        unique=True,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_pathway_approvals_listing",
        "pathway_approvals",
        ["institution_id", "status", "created_at"],
    )


def downgrade() -> None:
    op.drop_table("pathway_approvals")
    op.drop_table("pathway_awards")
    op.drop_table("pathway_events")
    op.drop_table("recognitions")
    op.drop_index("ix_achievement_versions_pathway", table_name="achievement_versions")
    op.drop_column("achievement_versions", "pathway")
