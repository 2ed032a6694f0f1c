"""Writing the committed interface documents: the OpenAPI document and the GraphQL schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from app.main import create_app


def openapi_json() -> str:
    """The app's OpenAPI document as committed in openapi/openapi.json."""
    return json.dumps(create_app().openapi(), indent=2, sort_keys=False) + "\n"


def openapi(
    output: Annotated[Path, typer.Option(help="Where to write the document.")] = Path(
        "openapi/openapi.json"
    ),
) -> None:
    """Write the OpenAPI document (needs no settings or database)."""
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(openapi_json(), encoding="utf-8")
    typer.echo(f"Wrote {output}.")


def graphql_sdl() -> str:
    """The GraphQL schema as committed in schema.graphql."""
    from app.graphql.schema import schema

    return schema.as_str() + "\n"


def graphql_schema(
    output: Annotated[Path, typer.Option(help="Where to write the SDL.")] = Path("schema.graphql"),
) -> None:
    """Write the GraphQL schema (SDL) of the catalogue."""
    output.write_text(graphql_sdl(), encoding="utf-8")
    typer.echo(f"Wrote {output}.")
