"""Creating and dropping whole databases on the test server (for scratch and second instances)."""

from __future__ import annotations

import asyncpg
from sqlalchemy.engine import make_url


def url_with_database(server_url: str, name: str) -> str:
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


async def recreate_database(server_url: str, name: str, *, drop_only: bool = False) -> None:
    """Drop ``name`` if it exists and (unless ``drop_only``) create it empty.

    ``server_url`` may name any database on the server; the statements run from there.
    """
    admin = make_url(server_url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
