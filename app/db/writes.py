"""The inserts that follow a change, sent to Postgres as one statement.

Issuing a credential writes its claim link, its outgoing events, its pathway event and its audit
entry, each an insert that reads nothing back. Sent one by one they cost a round trip each, and
a round trip costs more than the insert: the socket write that wakes the database's process is
the largest single cost of issuing one credential on a busy machine. So such inserts are built
as :class:`Write` values and sent together, each a data-modifying CTE of one statement, which
Postgres runs to completion whether or not the statement reads its rows.

A write's SQL is one ``INSERT ... SELECT`` without ``WITH`` or ``RETURNING``, with its own named
parameters (combined, they are prefixed so that two writes never share a name); it spells casts
``CAST(x AS type)``, never ``x::type``, so that a parameter is always a colon and a name. A write
may name a payload to announce on the work channel when it inserted at least one row.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.notify import WORK_CHANNEL

_PARAMETER = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


@dataclass(frozen=True, slots=True)
class Write:
    """One ``INSERT ... SELECT`` and its parameters; ``notify`` is announced if it wrote."""

    insert: str
    params: Mapping[str, Any] = field(default_factory=dict)
    notify: str | None = None


def rows_param(rows: object) -> str:
    """Rows as the one JSON parameter a write reads with ``jsonb_to_recordset``.

    orjson writes UUIDs, datetimes (RFC 3339, with microseconds) and dates as Postgres reads
    them; ``default=str`` covers ids read back from the database, which are asyncpg's own UUID
    type.
    """
    return orjson.dumps(rows, default=str).decode()


async def execute_writes(session: AsyncSession, writes: Sequence[Write | None]) -> None:
    """Run the writes in the session's transaction, in one round trip; ``None`` is skipped."""
    present = [write for write in writes if write is not None]
    if not present:
        return
    statement = statement_for(tuple((write.insert, write.notify is not None) for write in present))
    params: dict[str, Any] = {"channel": WORK_CHANNEL}
    for index, write in enumerate(present):
        params.update({f"w{index}_{name}": value for name, value in write.params.items()})
        if write.notify is not None:
            params[f"w{index}_notify"] = write.notify
    await session.execute(statement, params)


# Keyed by the writes' SQL: the few combinations issuance and status changes make.
@lru_cache(maxsize=64)
def statement_for(shapes: tuple[tuple[str, bool], ...]) -> TextClause:
    ctes, notices = [], []
    for index, (insert, notifies) in enumerate(shapes):
        own = _PARAMETER.sub(f":w{index}_\\1", insert.strip())
        ctes.append(f"w{index} AS ({own} RETURNING 1)")
        if notifies:
            # Built of the writes' constant SQL and their positions, never of a value.
            notices.append(
                f"(SELECT pg_notify(:channel, CAST(:w{index}_notify AS text)) "  # noqa: S608
                f"FROM (SELECT 1 FROM w{index} LIMIT 1) AS n{index})"
            )
    return text(f"WITH {', '.join(ctes)} SELECT {', '.join(notices) or '1'}")
