"""Importing a CSV file of course results for an operator: checked whole, queued once, followed.

The rows enter the same queue as a webhook's results (``sis_results``) through
:func:`app.sis.intake.store`, and the worker gives each its outcome. Unlike the REST upload, which
stores a bad row at once as ``failed``/``invalid_data``, an import refuses the whole file while any
row is bad and names each by its line, so that a corrected file can be imported as one.

Importing the same file again is one import (its message id is the SHA-256 of the file), and a
result already issued from another file is ``skipped``/``already_issued``: issuance is
idempotent on integration, student, course and term.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import AuditEntry, record
from app.errors import NotFound, RowError, RowsNotValid
from app.sis import csv_import, repository
from app.sis.intake import Delivery, result_rows, store
from app.sis.schemas import Parsed

_ROW_POINTER = "#/rows/{position}"


@dataclass(frozen=True, slots=True)
class Queued:
    event_id: uuid.UUID
    duplicate: bool
    results: int
    lines: list[int]


def _column(pointer: str, position: int) -> str:
    """``#/rows/3/student/email`` → ``student_email``: the CSV column the field came from."""
    field_path = pointer.removeprefix(_ROW_POINTER.format(position=position)).strip("/")
    return field_path.replace("/", "_") or "row"


def _row_errors(parsed: Parsed, invalid: list[tuple[int, list[dict[str, Any]]]]) -> list[RowError]:
    return [
        RowError(parsed.lines[position], _column(e["pointer"], position), e["detail"])
        for position, errors in invalid
        for e in errors
    ]


async def queue_file(
    session: AsyncSession,
    institution_id: uuid.UUID,
    integration_id: uuid.UUID,
    body: bytes,
    actor: str,
) -> Queued:
    """Check every row, then queue them all as one event; refuse the file if any row is bad."""
    integration = await repository.get_integration(session, institution_id, integration_id)
    if integration is None:
        raise NotFound("This institution has no such integration.")
    parsed = csv_import.parse_csv(body)
    rows = result_rows(integration.id, parsed, _ROW_POINTER)
    if rows.invalid:
        raise RowsNotValid(
            f"{len(rows.invalid)} row(s) of the file are not valid; nothing was queued.",
            rows=_row_errors(parsed, rows.invalid),
        )
    delivery = Delivery.of(csv_import.message_id_for(body, None), "csv", body)
    stored = await store(session, integration, delivery, parsed, rows)
    if not stored.duplicate:
        await record(
            session,
            actor,
            AuditEntry(
                "sis.csv_imported",
                "sis_event",
                str(stored.event_id),
                institution_id,
                {"integration_id": str(integration_id), "results": stored.results},
            ),
        )
    return Queued(stored.event_id, stored.duplicate, stored.results, parsed.lines)


async def pending_count(session: AsyncSession, event_id: uuid.UUID) -> int:
    counts = await repository.counts_by_event(session, [event_id])
    return counts.get(event_id, {}).get("pending", 0)


@dataclass(frozen=True, slots=True)
class Refusal:
    line: int
    status: str
    reason_code: str | None
    reason: str | None


@dataclass(slots=True)
class Summary:
    """The outcomes of one import: counts by status and by reason, and each refused row."""

    by_status: Counter[str] = field(default_factory=Counter)
    by_reason: Counter[tuple[str, str]] = field(default_factory=Counter)
    refused: list[Refusal] = field(default_factory=list)


async def summary(session: AsyncSession, queued: Queued) -> Summary:
    outcomes = Summary()
    for position, status, reason_code, reason in await repository.outcomes_of_event(
        session, queued.event_id
    ):
        outcomes.by_status[status] += 1
        if reason_code:
            outcomes.by_reason[(status, reason_code)] += 1
        if status in ("failed", "dead"):
            outcomes.refused.append(Refusal(queued.lines[position], status, reason_code, reason))
    return outcomes
