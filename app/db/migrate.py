"""Run Alembic migrations from code (CLI, dev runner, tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

# Inside the package, so that a plain (non-editable) install can migrate too.
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    config.attributes["database_url"] = database_url
    return config


def upgrade_to_head(database_url: str) -> None:
    command.upgrade(alembic_config(database_url), "head")
