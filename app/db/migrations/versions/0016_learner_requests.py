"""learner requests: credential requests, external credentials, external pathway components

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 06:10:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UUID = postgresql.UUID(as_uuid=True)


def _created_at() -> sa.Column[Any]:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "external_credentials",
        sa.Column("id", _UUID, nullable=False),
        sa.Column("institution_id", _UUID, nullable=False),
        sa.Column("document_id", sa.Text(), nullable=False),
        sa.Column("issuer_did", sa.Text(), nullable=False),
        sa.Column("achievement_url", sa.Text(), nullable=False),
        sa.Column("achievement_name", sa.Text(), nullable=True),
        sa.Column("learner_lookup", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("ects", sa.Float(), nullable=True),
        sa.Column("eqf_level", sa.SmallInteger(), nullable=True),
        sa.Column("field_of_study", sa.Text(), nullable=True),
        sa.Column("grade", sa.Text(), nullable=True),
        sa.Column("awarded_on", sa.Date(), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        _created_at(),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_external_credentials_institution_id_institutions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_credentials")),
        sa.UniqueConstraint(
            "institution_id", "document_id", name=op.f("uq_external_credentials_institution_id")
        ),
    )
    op.create_index(
        "ix_external_credentials_learner_lookup",
        "external_credentials",
        ["learner_lookup"],
        postgresql_using="gin",
    )
    op.create_table(
        "credential_requests",
        sa.Column("id", _UUID, nullable=False),
        sa.Column("institution_id", _UUID, nullable=False),
        sa.Column("achievement_id", _UUID, nullable=False),
        sa.Column("learner_key", sa.Text(), nullable=False),
        sa.Column("learner_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("evidence_text", sa.Text(), nullable=True),
        sa.Column("evidence_url", sa.Text(), nullable=True),
        sa.Column("external_credential_id", _UUID, nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("requested_by", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("credential_id", _UUID, nullable=True),
        _created_at(),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_credential_requests_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["achievement_id"],
            ["achievements.id"],
            name=op.f("fk_credential_requests_achievement_id_achievements"),
        ),
        sa.ForeignKeyConstraint(
            ["external_credential_id"],
            ["external_credentials.id"],
            name=op.f("fk_credential_requests_external_credential_id_external_credentials"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_credential_requests_credential_id_credentials"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credential_requests")),
    )
    op.create_index(
        "ix_credential_requests_listing",
        "credential_requests",
        ["institution_id", "status", "created_at"],
    )
    op.alter_column("pathway_events", "credential_id", existing_type=_UUID, nullable=True)
    op.add_column("pathway_events", sa.Column("external_credential_id", _UUID, nullable=True))
    op.create_foreign_key(
        op.f("fk_pathway_events_external_credential_id_external_credentials"),
        "pathway_events",
        "external_credentials",
        ["external_credential_id"],
        ["id"],
        ondelete="CASCADE",
    )
    op.create_index(
        op.f("ix_pathway_events_external_credential_id"),
        "pathway_events",
        ["external_credential_id"],
    )
    op.create_check_constraint(
        op.f("ck_pathway_events_one_component"),
        "pathway_events",
        "(credential_id IS NULL) <> (external_credential_id IS NULL)",
    )


def downgrade() -> None:
    op.execute("DELETE FROM pathway_events WHERE credential_id IS NULL")
    op.drop_constraint(op.f("ck_pathway_events_one_component"), "pathway_events", type_="check")
    op.drop_index(op.f("ix_pathway_events_external_credential_id"), table_name="pathway_events")
    op.drop_constraint(
        op.f("fk_pathway_events_external_credential_id_external_credentials"),
        "pathway_events",
        type_="foreignkey",
    )
    op.drop_column("pathway_events", "external_credential_id")
    op.alter_column("pathway_events", "credential_id", existing_type=_UUID, nullable=False)
    op.drop_table("credential_requests")
    op.drop_index("ix_external_credentials_learner_lookup", table_name="external_credentials")
    op.drop_table("external_credentials")
