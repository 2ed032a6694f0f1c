"""Plumbing shared by the command groups: settings, one transaction per command, output."""

from __future__ import annotations

import asyncio
import getpass
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, NoReturn, TypeVar

import typer
from pydantic import ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings, get_settings
from app.db.connection_errors import connection_failure
from app.db.session import create_engine, create_sessionmaker
from app.errors import DomainError, NotFound
from app.institutions import repository as institutions_repository
from app.institutions.models import Institution
from app.status_lists.reserve import close_claiming_connections

T = TypeVar("T")

# Locals are never shown in tracebacks: they may hold an API key or a secret setting.
TYPER_OPTIONS: dict[str, Any] = {"no_args_is_help": True, "pretty_exceptions_show_locals": False}

UNDEFINED_TABLE = "42P01"  # Postgres SQLSTATE


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def note(message: str) -> None:
    """Human explanation; stderr, so that stdout carries only what a script wants to capture."""
    typer.echo(message, err=True)


def settings() -> Settings:
    try:
        return get_settings()
    except ValidationError as exc:
        # Only names and reasons: the rejected input could be a secret.
        problems = "; ".join(
            f"STAPEL_{'_'.join(str(part) for part in error['loc']).upper()}: {error['msg']}"
            for error in exc.errors()
        )
        fail(f"the configuration is incomplete or invalid ({problems}); see docs/configuration.md")


def cli_actor() -> str:
    """Audit entries made from the command line name the operating-system user who ran it."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name in a bare container
        return "cli"


async def _with_sessions(
    settings: Settings, job: Callable[[async_sessionmaker[AsyncSession]], Awaitable[T]]
) -> T:
    engine = create_engine(settings)
    try:
        return await job(create_sessionmaker(engine))
    finally:
        await engine.dispose()
        await close_claiming_connections()


def run(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` in one transaction: committed if it returns, rolled back if it raises."""

    async def in_transaction(sessions: async_sessionmaker[AsyncSession]) -> T:
        async with sessions() as session, session.begin():
            return await work(session)

    return run_with_sessions(in_transaction)


def run_with_sessions(job: Callable[[async_sessionmaker[AsyncSession]], Awaitable[T]]) -> T:
    """Run ``job``, which opens transactions of its own; errors reported as :func:`run` does."""
    configured = settings()
    try:
        return asyncio.run(_with_sessions(configured, job))
    except DomainError as exc:
        for error in exc.errors:
            note(f"  {error.pointer}: {error.detail}")
        fail(exc.detail)
    except ProgrammingError as exc:
        if getattr(exc.orig, "pgcode", None) == UNDEFINED_TABLE:
            fail("the database has no Stapel schema yet; run `stapel migrate` first")
        raise
    except Exception as exc:
        fail_if_unreachable(exc, configured)
        raise


def migrate_database(configured: Settings) -> None:
    # Imported here: a serving process never migrates and need not hold Alembic in memory.
    from app.db.migrate import upgrade_to_head

    try:
        upgrade_to_head(configured.database_url)
    except Exception as exc:
        fail_if_unreachable(exc, configured)
        raise


def fail_if_unreachable(exc: Exception, configured: Settings) -> None:
    """End the command with one line when ``exc`` is a failure to connect to the database."""
    message = connection_failure(exc, configured.database_url)
    if message is not None:
        fail(message)


def print_table(headers: Sequence[str] | None, rows: Sequence[Sequence[str]]) -> None:
    lines = [headers, *rows] if headers else list(rows)
    widths = [max(len(cell) for cell in column) for column in zip(*lines, strict=True)]
    for line in lines:
        cells = (cell.ljust(width) for cell, width in zip(line, widths, strict=True))
        typer.echo("  ".join(cells).rstrip())


def when(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else "-"


def safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


async def institution_by_slug(session: AsyncSession, slug: str) -> Institution:
    institution = await institutions_repository.get_by_slug(session, slug)
    if institution is None:
        raise NotFound(f"No institution with slug '{slug}'; see `stapel institution list`.")
    return institution
