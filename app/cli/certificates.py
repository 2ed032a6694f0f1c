"""`stapel keys csr` and `stapel keys certificate`: X.509 certificates for signing keys."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from app.certificates import service as certificates
from app.cli.common import (
    TYPER_OPTIONS,
    cli_actor,
    fail,
    institution_by_slug,
    note,
    print_table,
    run,
    when,
)

certificate_cli = typer.Typer(
    help="Import and list the X.509 certificates of institutions' signing keys.", **TYPER_OPTIONS
)

Institution = Annotated[str, typer.Option(help="Slug of the institution.")]

DEVELOPMENT_LABEL = "DEVELOPMENT CA - not for production"


def keys_csr(
    institution: Institution,
    output: Annotated[
        Path | None, typer.Option(help="Write the CSR to this file instead of stdout.")
    ] = None,
) -> None:
    """A certificate signing request (PKCS#10, PEM) for the active key, to send to a CA."""

    async def make(session: AsyncSession) -> str:
        target = await institution_by_slug(session, institution)
        return await certificates.signing_request(session, target.id)

    csr = run(make)
    if output is None:
        typer.echo(csr, nl=False)
        return
    output.write_text(csr, encoding="ascii")
    note(f"Wrote the CSR for the active key of {institution} to {output}.")


@certificate_cli.command("import")
def certificate_import(
    institution: Institution,
    file: Annotated[Path, typer.Argument(help="The PEM chain the CA returned, leaf first.")],
) -> None:
    """Check the chain a CA returned for the active key and make it the key's certificate."""
    try:
        pem_text = file.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {file}: {getattr(exc, 'strerror', None) or 'not a PEM text file'}")
    actor = cli_actor()

    async def store(session: AsyncSession) -> tuple[str, str, datetime, bool]:
        target = await institution_by_slug(session, institution)
        row = await certificates.import_chain(session, target.id, pem_text, actor)
        return row.subject, row.fingerprint, row.not_after, row.development

    subject, fingerprint, not_after, development = run(store)
    marker = f" [{DEVELOPMENT_LABEL}]" if development else ""
    typer.echo(
        f"Imported {subject} (SHA-256 {fingerprint}), valid until {when(not_after)}, "
        f"for the active key of {institution}.{marker}"
    )


@certificate_cli.command("list")
def certificate_list(institution: Institution) -> None:
    """List the certificates of the institution's keys, newest first."""

    async def rows(session: AsyncSession) -> list[tuple[str, ...]]:
        target = await institution_by_slug(session, institution)
        now = datetime.now(UTC)
        return [
            (
                listed.kid,
                _state(listed, now),
                when(listed.certificate.not_before),
                when(listed.certificate.not_after),
                listed.certificate.subject,
                DEVELOPMENT_LABEL if listed.certificate.development else "-",
            )
            for listed in await certificates.list_certificates(session, target.id)
        ]

    headers = ("KID", "STATE", "NOT BEFORE", "NOT AFTER", "SUBJECT", "DEVELOPMENT")
    print_table(headers, run(rows))


def _state(listed: certificates.ListedCertificate, now: datetime) -> str:
    row = listed.certificate
    if listed.current:
        return "retired" if row.retired_at else "current"
    if now > row.not_after:
        return "expired"
    if now < row.not_before:
        return "not yet valid"
    return "superseded"
