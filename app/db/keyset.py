"""Keyset pages: rows after a (created_at, id) cursor, in that order."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Select, tuple_
from sqlalchemy.orm import InstrumentedAttribute

Row = TypeVar("Row")


def after_keyset(
    query: Select[Row],
    created_at: InstrumentedAttribute[datetime],
    row_id: InstrumentedAttribute[uuid.UUID],
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> Select[Row]:
    """``query`` limited to ``limit`` rows after ``after``, oldest first."""
    if after is not None:
        query = query.where(tuple_(created_at, row_id) > after)
    return query.order_by(created_at, row_id).limit(limit)
