"""Engine and the one-transaction-per-request session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from app.config import Settings


def async_database_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and point them at the asyncpg driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


def create_engine(settings: Settings) -> AsyncEngine:
    return create_async_engine(
        async_database_url(settings.database_url),
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_pre_ping=True,
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def _request_session(request: Request) -> AsyncIterator[AsyncSession]:
    """Open a transaction for the request and commit it before the response is sent.

    Services never commit; an exception anywhere rolls the whole request back.
    """
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker() as session, session.begin():
        yield session


# scope="function": commit runs before the response leaves, so a failed commit is never a 2xx.
DbSession = Annotated[AsyncSession, Depends(_request_session, scope="function")]
