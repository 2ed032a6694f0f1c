"""The migrations are the schema: they match the models and go down and up again cleanly."""

from __future__ import annotations

import asyncio
import uuid

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from app.db.base import Base
from app.db.migrate import alembic_config, upgrade_to_head
from app.db.session import async_database_url
from tests.databases import recreate_database, url_with_database


async def _diff(url: str) -> list[object]:
    engine = create_async_engine(async_database_url(url))

    def compare(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with engine.connect() as connection:
        diff = await connection.run_sync(compare)
    await engine.dispose()
    return diff


def test_migrations_match_models_and_downgrade_cleanly(database_url: str) -> None:
    name = f"stapel_migrations_{uuid.uuid4().hex[:8]}"
    scratch = url_with_database(database_url, name)
    asyncio.run(recreate_database(database_url, name))
    try:
        upgrade_to_head(scratch)
        assert asyncio.run(_diff(scratch)) == []
        command.downgrade(alembic_config(scratch), "base")
        upgrade_to_head(scratch)
        assert asyncio.run(_diff(scratch)) == []
    finally:
        asyncio.run(recreate_database(database_url, name, drop_only=True))
