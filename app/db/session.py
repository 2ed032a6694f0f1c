"""Engine and the one-transaction-per-request session."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any, TypeVar, cast

import orjson
from fastapi import Depends, Request
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from app.config import Settings
from app.db.unavailable import reconnect_after_read_only


def async_database_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and point them at the asyncpg driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


# orjson is several times faster than the standard library on the ~5 KB credential documents
# written and read as JSONB; the fallbacks keep every value stored and read exactly as before.
# datetimes and dataclasses, which the standard library refuses, are passed to it to be refused.
_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
# orjson reads an integer beyond 64 bits as a float; the standard library keeps it exact.
_LONG_NUMBER = re.compile(r"[0-9]{19}")


def json_dumps(value: Any) -> str:
    """JSON text for a JSONB parameter, as ``json.dumps`` would give it (Postgres normalises)."""
    try:
        return orjson.dumps(value, option=_ORJSON_OPTIONS).decode()
    except TypeError:  # non-string keys, integers beyond 64 bits, lone surrogates, ...
        return json.dumps(value)


def json_loads(text: str) -> Any:
    """A JSONB value read from Postgres, equal to what ``json.loads`` would return."""
    if _LONG_NUMBER.search(text) is None:
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:  # numbers beyond a double's range
            pass
    return json.loads(text)


def create_engine(settings: Settings) -> AsyncEngine:
    engine = create_async_engine(
        async_database_url(settings.database_url),
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        # No ping before each checkout: it was a round trip on every request. A connection that
        # died with a database restart fails its request with 503 database_unavailable, and
        # SQLAlchemy then drops every pooled connection older than that error, so a restart
        # costs each process about one 503 (the resilience test shows the pool recovering).
        pool_pre_ping=False,
        json_serializer=json_dumps,
        json_deserializer=json_loads,
        # Statement parameters hold student numbers, names and addresses: they must never
        # reach an error message, which may be logged.
        hide_parameters=True,
    )
    reconnect_after_read_only(engine)
    return engine


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def create_read_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions whose statements each run on their own (autocommit), on the same pool.

    For the public read paths (verification, the public credential page) when what they need
    is not in the process caches: a read costs its one round trip instead of three (``BEGIN``,
    the ``SELECT``, ``COMMIT``), and holds a pooled connection that much shorter. Only for
    paths whose statements need no common snapshot and whose one possible write is a single
    self-contained statement (a status list signed again is stored by one upsert that never
    replaces a newer version).
    """
    return create_sessionmaker(engine.execution_options(isolation_level="AUTOCOMMIT"))


async def _request_session(request: Request) -> AsyncIterator[AsyncSession]:
    """Open a transaction for the request and commit it before the response is sent.

    Services never commit; an exception anywhere rolls the whole request back.
    """
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker() as session, session.begin():
        yield session


class _SessionOnFirstUse:
    """Stands in for a session and makes it only when something of it is first asked for.

    Verifying one of our own credentials is usually answered from the process caches alone, yet
    its sources are handed a session in case they miss: making one (an ``AsyncSession`` and the
    ``Session`` inside it) and letting it go cost ~40 µs, about a fifteenth of the verification.
    Every attribute is the real session's, made on first look, so the code handed it cannot tell.
    """

    __slots__ = ("_sessionmaker", "made")

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker
        self.made: AsyncSession | None = None

    def __getattr__(self, name: str) -> Any:
        if self.made is None:
            self.made = self._sessionmaker()
        return getattr(self.made, name)


@asynccontextmanager
async def session_if_used(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """The request's one transaction, begun only if the session is used, and committed then.

    For requests that are usually answered from the process caches alone (verifying one of our
    own credentials): a session begun, committed and closed without a statement cost ~0.1 ms,
    a tenth of such a request, and the session is not even made until it is used. Commit, as
    with ``DbSession``, happens before the response.
    """
    standin = _SessionOnFirstUse(sessionmaker)
    try:
        # What is handed out behaves as the session in every respect but its type.
        yield cast(AsyncSession, standin)
        if standin.made is not None and standin.made.in_transaction():
            await standin.made.commit()  # SQLAlchemy began one with the first statement
    finally:
        # The request or the commit failed: roll back, release.
        if standin.made is not None and standin.made.in_transaction():
            await standin.made.close()


T = TypeVar("T")

# The running app's autocommit sessionmaker, for reads that belong to no request (renewing the
# process caches); None outside the app's lifespan (commands, tests of a service alone).
_own_sessions: async_sessionmaker[AsyncSession] | None = None


def open_own_sessions(
    sessionmaker: async_sessionmaker[AsyncSession] | None,
) -> async_sessionmaker[AsyncSession] | None:
    """Set what :func:`in_own_session` uses (at start-up: the read sessionmaker); returns what
    it replaces, to be set again at shut-down (an app started and stopped inside another, as in
    tests, leaves the outer one's in place)."""
    global _own_sessions  # one per process, like the engine it comes from
    replaced, _own_sessions = _own_sessions, sessionmaker
    return replaced


def in_own_session(
    work: Callable[[AsyncSession], Awaitable[T]],
) -> Callable[[], Awaitable[T]] | None:
    """``work`` as a load that needs nothing of a request: it runs in a session of its own,
    each statement committed on its own (see :func:`create_read_sessionmaker` for what that
    allows), so that a load left waiting holds no lock. None when the process has none."""
    sessionmaker = _own_sessions
    if sessionmaker is None:
        return None

    async def run() -> T:
        async with sessionmaker() as session:
            return await work(session)

    return run


# scope="function": commit runs before the response leaves, so a failed commit is never a 2xx.
DbSession = Annotated[AsyncSession, Depends(_request_session, scope="function")]
