"""`stapel import`: queue a CSV file of course results and follow it until each has its outcome."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.cli.common import cli_actor, fail, institution_by_slug, note, run_with_sessions
from app.errors import RowsNotValid
from app.sis import imports
from app.sis.imports import Queued, Summary

# Exit codes beside 0 (every result issued, revoked or skipped) and 1 (refused; nothing queued).
SOME_FAILED = 3
TIMED_OUT = 4
POLL_SECONDS = 0.5


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror}")


async def _queue(
    sessions: async_sessionmaker[AsyncSession], slug: str, integration: uuid.UUID, body: bytes
) -> Queued:
    async with sessions() as session, session.begin():
        institution = await institution_by_slug(session, slug)
        return await imports.queue_file(session, institution.id, integration, body, cli_actor())


async def _follow(
    sessions: async_sessionmaker[AsyncSession], queued: Queued, deadline: float
) -> int:
    """Show a bar of results with an outcome until none is pending or the deadline passed."""
    columns = (TextColumn("outcomes"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True)) as progress:
        bar = progress.add_task("outcomes", total=queued.results)
        while True:
            async with sessions() as session:
                pending = await imports.pending_count(session, queued.event_id)
            progress.update(bar, completed=queued.results - pending)
            if pending == 0 or time.monotonic() >= deadline:
                return pending
            await asyncio.sleep(POLL_SECONDS)


async def _import(
    sessions: async_sessionmaker[AsyncSession],
    slug: str,
    integration: uuid.UUID,
    body: bytes,
    wait_seconds: float,
) -> tuple[Queued, int, Summary]:
    try:
        queued = await _queue(sessions, slug, integration, body)
    except RowsNotValid as refused:
        for row in refused.rows:
            note(f"line {row.line}: {row.column}: {row.detail}")
        raise
    if queued.duplicate:
        note(f"This file was imported before (event {queued.event_id}); showing its outcomes.")
    else:
        note(f"Queued {queued.results} results as event {queued.event_id}.")
    pending = await _follow(sessions, queued, time.monotonic() + wait_seconds)
    async with sessions() as session:
        return queued, pending, await imports.summary(session, queued)


def _print_summary(summary: Summary, pending: int) -> None:
    counts = summary.by_status
    typer.echo(
        f"issued {counts['issued']}, revoked {counts['revoked']}, skipped {counts['skipped']}, "
        f"failed {counts['failed'] + counts['dead']}, pending {pending}"
    )
    for (status, reason_code), count in sorted(summary.by_reason.items()):
        typer.echo(f"  {status} {reason_code}: {count}")
    for refusal in summary.refused:
        reason = f" ({refusal.reason})" if refusal.reason else ""
        typer.echo(f"line {refusal.line}: {refusal.status} {refusal.reason_code}{reason}")


def import_results(
    file: Annotated[Path, typer.Argument(help="The CSV file (columns: see docs/sis.md).")],
    institution: Annotated[str, typer.Option(help="Slug of the institution.")],
    integration: Annotated[uuid.UUID, typer.Option(help="Id of the institution's integration.")],
    timeout: Annotated[
        float, typer.Option(help="Seconds to wait for the worker to give every outcome.", min=0)
    ] = 600,
) -> None:
    """Queue a CSV file of course results, show the progress and print each outcome.

    The whole file is checked first: a bad row is named by its line and nothing is queued.
    Exit codes: 0 every result issued, revoked or skipped; 1 refused; 3 some results failed;
    4 the worker had not given every outcome within --timeout (they stay queued).
    """
    body = _read(file)
    _, pending, summary = run_with_sessions(
        lambda sessions: _import(sessions, institution, integration, body, timeout)
    )
    _print_summary(summary, pending)
    if pending:
        note(f"{pending} results are still pending; is `stapel worker` running?")
        raise typer.Exit(TIMED_OUT)
    if summary.refused:
        raise typer.Exit(SOME_FAILED)
