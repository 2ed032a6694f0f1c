"""Serving processes know the schema they need without loading Alembic."""

from __future__ import annotations

import subprocess
import sys

from alembic.script import ScriptDirectory

from app.db.migrate import alembic_config
from app.db.schema_heads import SCHEMA_HEADS


def test_the_schema_heads_named_in_the_code_are_the_heads_of_the_migrations() -> None:
    heads = frozenset(ScriptDirectory.from_config(alembic_config("")).get_heads())
    assert heads == SCHEMA_HEADS, (
        f"app/db/migrations/versions/ ends in {sorted(heads)}: name them in app/db/schema_heads.py"
    )


def test_the_server_and_the_worker_start_without_loading_alembic() -> None:
    probe = "import sys, app.cli, app.worker.main; print('alembic' in sys.modules)"
    loaded = subprocess.run(  # noqa: S603 - our own interpreter and a fixed program
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == "False"
