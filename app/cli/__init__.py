"""The `stapel` command: one module per command group, assembled here."""

from __future__ import annotations

import typer

from app.cli import imports, interfaces, running
from app.cli.api_keys import api_key_cli
from app.cli.common import TYPER_OPTIONS
from app.cli.institutions import institution_cli
from app.cli.interfaces import graphql_sdl, openapi_json
from app.cli.keys import keys_cli

__all__ = ["cli", "graphql_sdl", "main", "openapi_json"]

cli = typer.Typer(
    name="stapel",
    help="Issue, revoke and verify micro-credentials (Open Badges 3.0). "
    "Settings come from STAPEL_* environment variables.",
    add_completion=False,
    **TYPER_OPTIONS,
)
for command in (running.serve, running.worker, running.migrate, running.demo, running.dev):
    cli.command()(command)
cli.command()(interfaces.openapi)
cli.command("graphql-schema")(interfaces.graphql_schema)
cli.command("import")(imports.import_results)
cli.add_typer(institution_cli, name="institution")
cli.add_typer(api_key_cli, name="api-key")
cli.add_typer(keys_cli, name="keys")


def main() -> None:
    cli()
