"""Field types shared by the request schemas of several domains."""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, StringConstraints
from sqlalchemy import String
from sqlalchemy.orm import QueryableAttribute


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an absolute http(s) URL")
    return value


def _email(value: str) -> str:
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
        raise ValueError("must be an email address")
    return value


HttpUrlStr = Annotated[str, StringConstraints(max_length=2048), AfterValidator(_http_url)]
EmailStr = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=320), AfterValidator(_email)
]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20000)]
# The value of a BIGINT identity column: anything beyond it cannot even be sent to Postgres.
BigintId = Annotated[int, Field(ge=1, le=2**63 - 1)]
LanguageCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$")]


def fits(column: QueryableAttribute[Any], reserve: int = 0) -> Any:
    """A ``max_length`` of the column's size, to stack on a text type (``Annotated[ShortText,
    fits(Model.column)]``): longer input is a 422, never a database error. ``reserve``: what
    the value is stored with (a prefix)."""
    column_type = column.property.columns[0].type
    if not isinstance(column_type, String) or column_type.length is None:
        raise TypeError(f"{column} has no length")
    return Field(max_length=column_type.length - reserve)
