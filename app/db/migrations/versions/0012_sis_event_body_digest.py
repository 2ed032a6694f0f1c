"""sis event body digest: what tells a retry from another message under a used webhook-id

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 02:40:00

Standard Webhooks deduplication holds for retries of one message, which carry the same body. The
digest lets the intake refuse a different body sent under a message id it accepted before,
instead of answering it as a duplicate and losing it. Events stored earlier keep NULL: for them a
repeated id is still answered as a duplicate, as before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("sis_events", sa.Column("body_sha256", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    op.drop_column("sis_events", "body_sha256")
