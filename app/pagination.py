"""Opaque cursors and the page envelope shared by every list endpoint."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

from app.base64url import b64url
from app.errors import FieldError, ValidationFailed

T = TypeVar("T")

# Ids are bigint: a larger number is no position in any list.
_MAX_ID = 2**63 - 1


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def encode_cursor(*parts: str) -> str:
    return b64url(json.dumps(parts).encode())


def decode_cursor(cursor: str, arity: int) -> list[str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        parts = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise bad_cursor() from exc
    if not isinstance(parts, list) or len(parts) != arity:
        raise bad_cursor()
    return [str(p) for p in parts]


def encode_keyset_cursor(moment: datetime, ident: uuid.UUID) -> str:
    return encode_cursor(moment.isoformat(), str(ident))


def next_keyset_cursor(
    found: Sequence[T], limit: int, position: Callable[[T], tuple[datetime, uuid.UUID]]
) -> str | None:
    """The cursor after a page, when ``found`` (fetched with ``limit + 1``) has more."""
    if len(found) <= limit:
        return None
    return encode_keyset_cursor(*position(found[limit - 1]))


def decode_keyset_cursor(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    """A (timestamp, id) position for keyset pagination, or None for the first page."""
    if cursor is None:
        return None
    moment, ident = decode_cursor(cursor, 2)
    try:
        return datetime.fromisoformat(moment), uuid.UUID(ident)
    except ValueError as exc:
        raise bad_cursor() from exc


def decode_int_cursor(cursor: str) -> int:
    (value,) = decode_cursor(cursor, 1)
    # str.isdigit() also takes digits of other scripts ("٣") and ones int() refuses ("¹").
    if not (value.isascii() and value.isdigit()) or int(value) > _MAX_ID:
        raise bad_cursor()
    return int(value)


def bad_cursor() -> ValidationFailed:
    return ValidationFailed(
        "The cursor is not one this API handed out.",
        errors=[FieldError(pointer="#/cursor", detail="unknown cursor", code="invalid_cursor")],
    )


Limit = Annotated[int, Query(ge=1, le=200, description="Page size.")]
Cursor = Annotated[
    str | None, Query(max_length=512, description="`next_cursor` of the page before.")
]
