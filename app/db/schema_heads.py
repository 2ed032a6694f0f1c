"""The migration head(s) this version of the code needs the database to be at.

A constant rather than read from the migration files at start-up, so that serving processes do
not load Alembic (about 10 MB resident per process) only to answer ``/readyz``. A test compares
it with the heads Alembic finds in ``app/db/migrations/versions/``: a new revision fails the suite
until it is named here too.
"""

from __future__ import annotations

from typing import Final

SCHEMA_HEADS: Final = frozenset({"0017"})
