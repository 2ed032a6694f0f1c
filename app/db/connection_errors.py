"""Why a connection to the database failed, in one line an operator can act on.

Commands that connect (``stapel migrate`` and the rest) print this instead of a traceback for
the failures that are the operator's to fix: a database or role that does not exist, a wrong
password, nothing listening. Only the database's name, user and address are named, never the
password.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

import asyncpg
from sqlalchemy.engine import URL, make_url

# SQLSTATEs of the failures named below; asyncpg raises a class per code, SQLAlchemy wraps it.
INVALID_CATALOG_NAME: Final = "3D000"
INVALID_AUTHORIZATION: Final = "28000"
INVALID_PASSWORD: Final = "28P01"  # noqa: S105 - an error code, not a password


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception, what SQLAlchemy wrapped (``orig``) and the chain of causes, each once."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        orig = getattr(current, "orig", None)
        pending.extend(
            [
                orig if isinstance(orig, BaseException) else None,
                current.__cause__,
                current.__context__,
            ]
        )


def _sqlstate(exc: BaseException) -> str | None:
    for attribute in ("sqlstate", "pgcode"):
        value = getattr(exc, attribute, None)
        if isinstance(value, str):
            return value
    return None


def connection_failure(exc: BaseException, database_url: str) -> str | None:
    """The one-line explanation of ``exc`` as a failure to connect, or None if it is not one."""
    url = make_url(database_url)
    for cause in _causes(exc):
        message = _explained(cause, url)
        if message is not None:
            return message
    return None


def _explained(cause: BaseException, url: URL) -> str | None:
    database = url.database or url.username or "postgres"
    user = url.username or "the current user"
    where = f"{url.host or 'the local socket'}:{url.port or 5432}"
    sqlstate = _sqlstate(cause)
    if isinstance(cause, asyncpg.InvalidCatalogNameError) or sqlstate == INVALID_CATALOG_NAME:
        return (
            f'the database "{database}" does not exist on {where}; create it first, e.g. '
            f'createdb -h {url.host or "localhost"} -U {user} "{database}"'
        )
    if isinstance(cause, asyncpg.InvalidPasswordError) or sqlstate == INVALID_PASSWORD:
        return (
            f'the database at {where} refused the password of the role "{user}"; '
            "check the password in STAPEL_DATABASE_URL"
        )
    if (
        isinstance(cause, asyncpg.InvalidAuthorizationSpecificationError)
        or sqlstate == INVALID_AUTHORIZATION
    ):
        return (
            f'the database at {where} refused the role "{user}" (it may not exist); create it '
            f'first, e.g. createuser -h {url.host or "localhost"} -P "{user}"'
        )
    if isinstance(cause, ConnectionRefusedError):
        return f"nothing accepts connections at {where}; is Postgres running there?"
    if isinstance(cause, OSError):
        return f"cannot reach the database at {where}: {cause.strerror or type(cause).__name__}"
    return None
