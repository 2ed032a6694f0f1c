"""one credential per document id: a unique index over every credential's own ``id``

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 01:10:00

Before this revision the VC-API accepted a caller's ``id`` that another credential already had.
Such twins cannot be told apart by a verifier or by ``/credentials/status``, and which of them is
the real one is for their institutions to decide, not for a migration: the upgrade stops, naming
how many ids are shared, and changes nothing until they are resolved (for instance by revoking
the twin issued later and setting its stored ``document->>'id'`` to ``urn:uuid:<row id>``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEX = "uq_credentials_document_id"


def upgrade() -> None:
    shared = op.get_bind().execute(
        sa.text(
            "SELECT count(*) FROM (SELECT 1 FROM credentials WHERE document ? 'id' "
            "GROUP BY document ->> 'id' HAVING count(*) > 1) AS twins"
        )
    )
    count = shared.scalar_one()
    if count:
        raise RuntimeError(
            f"{count} credential id(s) are each carried by more than one credential; "
            "resolve them before upgrading (see the docstring of revision 0010)."
        )
    op.create_index(_INDEX, "credentials", [sa.text("(document ->> 'id')")], unique=True)


def downgrade() -> None:
    op.drop_index(_INDEX, table_name="credentials")
