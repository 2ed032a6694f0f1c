"""`stapel keys`: rotate and list institutions' signing keys, and certify them (X.509)."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from app.cli.certificates import certificate_cli, keys_csr
from app.cli.common import TYPER_OPTIONS, cli_actor, institution_by_slug, print_table, run, when
from app.keys import service as keys
from app.keys.algorithms import Algorithm

keys_cli = typer.Typer(
    help="Rotate and list institutions' signing keys; certificate requests and certificates.",
    **TYPER_OPTIONS,
)
keys_cli.command("csr")(keys_csr)
keys_cli.add_typer(certificate_cli, name="certificate")


@keys_cli.command("rotate")
def keys_rotate(
    institution: Annotated[str, typer.Option(help="Slug of the institution.")],
    algorithm: Annotated[Algorithm, typer.Option(help="Algorithm of the new key.")] = "ES256",
) -> None:
    """Make a new signing key active; the old one stays published so its credentials verify."""
    actor = cli_actor()

    async def rotate(session: AsyncSession) -> tuple[str, str]:
        target = await institution_by_slug(session, institution)
        key = await keys.rotate(session, target.id, algorithm, actor)
        return key.kid, key.algorithm

    kid, used = run(rotate)
    typer.echo(f"New active {used} key {kid} for {institution}; the previous key is retired.")


@keys_cli.command("list")
def keys_list(institution: Annotated[str, typer.Option(help="Slug of the institution.")]) -> None:
    """List an institution's signing keys, retired ones included."""

    async def rows(session: AsyncSession) -> list[tuple[str, ...]]:
        target = await institution_by_slug(session, institution)
        return [
            (k.kid, k.algorithm, k.status, when(k.created_at), when(k.retired_at))
            for k in await keys.list_keys(session, target.id)
        ]

    print_table(("KID", "ALGORITHM", "STATUS", "CREATED", "RETIRED"), run(rows))
