"""`stapel institution`: create and list institutions."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.cli.common import TYPER_OPTIONS, cli_actor, fail, note, print_table, run, settings
from app.institutions import repository as institutions_repository
from app.institutions import service as institutions
from app.institutions.schemas import InstitutionCreate
from app.keys.algorithms import Algorithm
from app.keys.did import institution_did

institution_cli = typer.Typer(help="Create and list institutions.", **TYPER_OPTIONS)


# Option names of the fields a user can get wrong, for error messages in the user's terms.
_INSTITUTION_OPTIONS = {"country_code": "--country", "signing_algorithm": "--algorithm"}


def _validated_institution(fields: dict[str, Any]) -> InstitutionCreate:
    try:
        return InstitutionCreate.model_validate(fields)
    except ValidationError as exc:
        fail(_validation_message(exc, _INSTITUTION_OPTIONS), code=2)


def _validation_message(exc: ValidationError, options: dict[str, str]) -> str:
    def option(loc: tuple[int | str, ...]) -> str:
        field = str(loc[0]) if loc else ""
        return options.get(field, "--" + field.replace("_", "-"))

    return "; ".join(f"{option(e['loc'])}: {e['msg']}" for e in exc.errors())


@institution_cli.command("create")
def institution_create(
    slug: Annotated[str, typer.Option(help="URL name, e.g. hogeschool-lindewijk.")],
    legal_name: Annotated[str, typer.Option(help="Registered legal name.")],
    display_name: Annotated[str, typer.Option(help="Name shown on credentials.")],
    country: Annotated[str, typer.Option(help="ISO 3166-1 alpha-2 code, e.g. NL.")],
    recognised: Annotated[
        bool,
        typer.Option(
            "--recognised", help="A recognised institution may issue formal micro-credentials."
        ),
    ] = False,
    algorithm: Annotated[Algorithm, typer.Option(help="Algorithm of its first signing key.")] = (
        "ES256"
    ),
    suspendable_credentials: Annotated[
        bool,
        typer.Option(
            "--suspendable-credentials",
            help="Its credentials can be suspended (they carry a suspension status entry).",
        ),
    ] = False,
) -> None:
    """Create an institution with an active signing key."""
    body = _validated_institution(
        {
            "slug": slug,
            "legal_name": legal_name,
            "display_name": display_name,
            "country_code": country.upper(),
            "recognised": recognised,
            "signing_algorithm": algorithm,
            "suspendable_credentials": suspendable_credentials,
        }
    )

    async def create(session: AsyncSession) -> str:
        institution = await institutions.create_institution(session, body, cli_actor())
        return str(institution.id)

    institution_id = run(create)
    base = settings().public_base_url
    typer.echo(f"Created institution {body.slug} ({institution_id}).")
    typer.echo(f"  DID:          {institution_did(body.slug)}")
    typer.echo(f"  DID document: {base}/issuers/{body.slug}/did.json")
    note(
        "Give it an API key with: "
        f"stapel api-key create --institution {body.slug} --name 'admin key'"
    )


@institution_cli.command("list")
def institution_list() -> None:
    """List all institutions."""

    async def rows(session: AsyncSession) -> list[tuple[str, ...]]:
        return [
            (
                i.slug,
                i.display_name,
                i.country_code,
                "yes" if i.recognised else "no",
                str(i.id),
            )
            for i in await institutions_repository.list_all(session)
        ]

    found = run(rows)
    if not found:
        note("No institutions yet; create one with `stapel institution create`.")
        return
    print_table(("SLUG", "NAME", "COUNTRY", "RECOGNISED", "ID"), found)
