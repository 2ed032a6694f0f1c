"""Database errors that mean "not now" rather than "not this": the same request may succeed later.

Nothing was committed when one of them ends a request, so the API answers them with a 503 and
``Retry-After`` instead of a 500.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

# A write on a server in recovery: a primary demoted to a standby by a failover, still reached
# through connections opened before it.
READ_ONLY_SQL_TRANSACTION: Final = "25006"
# max_connections, or the CONNECTION LIMIT of the role or the database, reached; Postgres refuses
# the new connection while it is being opened.
TOO_MANY_CONNECTIONS: Final = "53300"
# Class 08: connection exception; 57P0x: the server is shutting down or starting up.
_RETRYABLE_SQLSTATES: Final = ("08", "57P", READ_ONLY_SQL_TRANSACTION, TOO_MANY_CONNECTIONS)


def sqlstate(exc: BaseException) -> str:
    """The SQLSTATE of a database error, SQLAlchemy's wrapper or the driver's own; "" if none."""
    driver_error = exc.orig if isinstance(exc, DBAPIError) else exc
    state = getattr(driver_error, "sqlstate", None) or getattr(driver_error, "pgcode", None)
    return str(state or "")


def database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database cannot take work now (a restart, failover, overload)."""
    if isinstance(exc, ConnectionError | OSError):
        return True
    if isinstance(exc, DBAPIError):
        return (
            exc.connection_invalidated
            or isinstance(exc, OperationalError | InterfaceError)
            or sqlstate(exc).startswith(_RETRYABLE_SQLSTATES)
        )
    return False


def reconnect_after_read_only(engine: AsyncEngine) -> None:
    """Drop the pool when a write meets a read-only server, so that the next request reconnects.

    After a failover the database's address names the new primary, but pooled connections
    still reach the old one: without this every one of them would fail its requests until the
    old server closed it, and a retried request would likely meet another of them.
    """

    def on_error(context: ExceptionContext) -> None:
        if sqlstate(context.original_exception) == READ_ONLY_SQL_TRANSACTION:
            context.is_disconnect = True

    event.listen(engine.sync_engine, "handle_error", on_error)
