"""suspension becomes an institution's choice: institutions.suspendable_credentials

Until this revision every credential carried two status entries (revocation and suspension),
which the published Open Badges 3.0 schema forbids. New institutions now issue one entry unless
they opt in. Institutions that exist already keep issuing suspendable credentials, so that
nothing they rely on changes under them; they can switch it off.

Revision ID: 0020
Revises: 0010
Create Date: 2026-12-06 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "institutions",
        sa.Column("suspendable_credentials", sa.Boolean(), server_default="false", nullable=False),
    )
    op.execute("UPDATE institutions SET suspendable_credentials = true")


def downgrade() -> None:
    op.drop_column("institutions", "suspendable_credentials")
