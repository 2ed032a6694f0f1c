"""Creating and dropping whole databases on the test server (for scratch and second instances)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


def asyncpg_dsn(url: str) -> str:
    """The same URL as asyncpg takes it (no SQLAlchemy driver suffix)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def url_with_database(server_url: str, name: str) -> str:
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


async def recreate_database(server_url: str, name: str, *, drop_only: bool = False) -> None:
    """Drop ``name`` if it exists and (unless ``drop_only``) create it empty.

    ``server_url`` may name any database on the server; the statements run from there.
    """
    conn = await asyncpg.connect(asyncpg_dsn(server_url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


@asynccontextmanager
async def locked_table(server_url: str, table: str) -> AsyncIterator[None]:
    """Hold ``table`` locked against every access for the block: queries on it wait.

    How tests keep requests in flight for as long as they need, with nothing faked in the app.
    """
    conn = await asyncpg.connect(asyncpg_dsn(server_url))
    try:
        transaction = conn.transaction()
        await transaction.start()
        await conn.execute(f'LOCK TABLE "{table}" IN ACCESS EXCLUSIVE MODE')
        try:
            yield
        finally:
            await transaction.rollback()
    finally:
        await conn.close()


@asynccontextmanager
async def refusing_inserts(
    sessionmaker: async_sessionmaker[AsyncSession], table: str
) -> AsyncIterator[None]:
    """Every row written to ``table`` fails a real check constraint while this is open.

    A database error provoked for real, with the statement's real parameters, for the tests of
    what errors show and log; the constraint is dropped again afterwards.
    """
    name = f"stapel_test_refuse_{table}"
    async with sessionmaker() as session, session.begin():
        await session.execute(
            text(f"ALTER TABLE {table} ADD CONSTRAINT {name} CHECK (false) NOT VALID")
        )
    try:
        yield
    finally:
        async with sessionmaker() as session, session.begin():
            await session.execute(text(f"ALTER TABLE {table} DROP CONSTRAINT {name}"))
