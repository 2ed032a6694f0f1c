"""Tracebacks for the logs that can carry no statement parameters, request data or locals.

The standard formatter prints each exception's message, and a database error's message is the
statement with its bound parameters (student numbers, names, addresses) and the server's
``DETAIL`` line, which quotes the offending values. Here the frames are printed as usual (file,
line, function, source line; never local variables), and an exception from the database layer
is named by its type, SQLSTATE and constraint only, without its message.
"""

from __future__ import annotations

import traceback
from types import TracebackType
from typing import Final, TypeAlias

ExcInfo: TypeAlias = tuple[type[BaseException], BaseException, TracebackType | None]

# Exceptions raised by these packages quote statements, parameters or values in their messages.
_DATABASE_MODULES: Final = ("sqlalchemy", "asyncpg")
_CAUSE: Final = "\nThe above exception was the direct cause of the following exception:\n\n"
_CONTEXT: Final = "\nDuring handling of the above exception, another exception occurred:\n\n"


def _from_database(exc: BaseException) -> bool:
    return type(exc).__module__.split(".", 1)[0] in _DATABASE_MODULES


def exception_line(exc: BaseException) -> str:
    """``Type: message``, or for a database error its type and what names no value."""
    name = f"{type(exc).__module__}.{type(exc).__qualname__}"
    if not _from_database(exc):
        message = str(exc)
        return f"{name}: {message}" if message else name
    facts = [
        f"{attribute}={value}"
        for attribute in ("sqlstate", "constraint_name", "table_name", "column_name")
        if (value := getattr(exc, attribute, None) or getattr(_orig(exc), attribute, None))
    ]
    return f"{name} ({', '.join(facts) or 'message withheld'})"


def _orig(exc: BaseException) -> object:
    """The driver's exception inside SQLAlchemy's wrapper (``DBAPIError.orig``)."""
    orig = getattr(exc, "orig", None)
    # asyncpg's adapted error keeps the PostgresError as its ``__cause__``.
    return getattr(orig, "__cause__", None) or orig


def _chain(exc: BaseException) -> list[tuple[BaseException, str]]:
    """The exception and its causes, oldest first, each with the text that links it on."""
    chain: list[tuple[BaseException, str]] = []
    seen: set[int] = set()
    link = ""
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append((current, link))
        if current.__cause__ is not None:
            current, link = current.__cause__, _CAUSE
        elif current.__context__ is not None and not current.__suppress_context__:
            current, link = current.__context__, _CONTEXT
        else:
            current = None
    return chain[::-1]


def format_exception(exc_info: ExcInfo) -> str:
    """A traceback like the standard one, without messages of database errors or locals."""
    parts: list[str] = []
    chain = _chain(exc_info[1])
    for index, (exc, link) in enumerate(chain):
        if exc.__traceback__ is not None:
            parts.append("Traceback (most recent call last):\n")
            parts.extend(traceback.format_list(traceback.extract_tb(exc.__traceback__)))
        parts.append(exception_line(exc) + "\n")
        if index + 1 < len(chain):  # how the next one (its consequence) came from it
            parts.append(link)
    return "".join(parts).rstrip("\n")
