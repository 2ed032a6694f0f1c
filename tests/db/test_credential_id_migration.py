"""Revision 0010 refuses to pick between credentials that already share an id."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from app.db.migrate import alembic_config
from app.db.session import async_database_url
from tests.databases import recreate_database, url_with_database

_ROWS = """
INSERT INTO institutions (id, slug, legal_name, display_name, country_code, identifiers,
    recognised, default_profile, ects_min, ects_max)
VALUES (:institution, 'twins', 'Twins', 'Twins', 'NL', '[]', true, 'vc-jose', 1, 30);
INSERT INTO signing_keys (id, institution_id, kid, algorithm, public_jwk, wrapped_private_key,
    status)
VALUES (:key, :institution, 'k1', 'ES256', '{}', '\\x00', 'active');
INSERT INTO status_lists (id, institution_id, size, allocated, permutation_key,
    revocation_bits, suspension_bits, version)
VALUES (:list, :institution, 8, 2, '\\x00', '\\x00', '\\x00', 1);
INSERT INTO credentials (id, institution_id, signing_key_id, profile, state, status_list_id,
    status_index, learner_lookup, issued_at, document, jwt)
SELECT gen_random_uuid(), :institution, :key, 'vc-jose', 'active', :list, i, '{}', now(),
    jsonb_build_object('id', CAST(:shared AS text)), 'x.y.z'
FROM generate_series(0, 1) AS i;
"""


async def _insert_twins(url: str) -> None:
    engine = create_async_engine(async_database_url(url))
    ids = {"institution": uuid.uuid4(), "key": uuid.uuid4(), "list": uuid.uuid4()}
    async with engine.begin() as connection:
        for statement in filter(str.strip, _ROWS.split(";")):
            await connection.execute(text(statement), {**ids, "shared": "urn:example:twin"})
    await engine.dispose()


def test_upgrade_stops_naming_how_many_ids_are_shared(database_url: str) -> None:
    name = f"stapel_twins_{uuid.uuid4().hex[:8]}"
    scratch = url_with_database(database_url, name)
    asyncio.run(recreate_database(database_url, name))
    try:
        command.upgrade(alembic_config(scratch), "0009")
        asyncio.run(_insert_twins(scratch))
        with pytest.raises(RuntimeError, match="1 credential id"):
            command.upgrade(alembic_config(scratch), "0010")
    finally:
        asyncio.run(recreate_database(database_url, name, drop_only=True))
