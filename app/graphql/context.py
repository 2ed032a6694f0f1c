"""Per-request GraphQL context: loaders that batch, each batch on its own short session.

Resolvers run concurrently, so they never share an ``AsyncSession``: every loader batch and
every query opens one from the sessionmaker and closes it at once.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

from app.achievements import catalogue, catalogue_cache
from app.achievements.catalogue import CatalogueFilter, Summary
from app.achievements.models import Achievement, AchievementVersion
from app.institutions.models import Institution, OrgUnit

Record = tuple[Achievement, AchievementVersion]


@dataclass
class Loaders:
    sessionmaker: async_sessionmaker[AsyncSession]
    institution: DataLoader[uuid.UUID, Institution | None] = field(init=False)
    org_unit: DataLoader[uuid.UUID, OrgUnit | None] = field(init=False)
    achievement: DataLoader[uuid.UUID, Record | None] = field(init=False)
    built_from: DataLoader[uuid.UUID, list[Record]] = field(init=False)
    summary: DataLoader[CatalogueFilter, Summary] = field(init=False)

    def __post_init__(self) -> None:
        self.institution = DataLoader(self._institutions)
        self.org_unit = DataLoader(self._org_units)
        self.achievement = DataLoader(self._achievements)
        self.built_from = DataLoader(self._built_from)
        self.summary = DataLoader(self._summaries)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self.sessionmaker() as session, session.begin():
            yield session

    async def _institutions(self, ids: Sequence[uuid.UUID]) -> list[Institution | None]:
        async with self.session() as session:
            rows = await session.execute(select(Institution).where(Institution.id.in_(ids)))
            found = {i.id: i for i in rows.scalars()}
        return [found.get(i) for i in ids]

    async def _org_units(self, ids: Sequence[uuid.UUID]) -> list[OrgUnit | None]:
        async with self.session() as session:
            rows = await session.execute(select(OrgUnit).where(OrgUnit.id.in_(ids)))
            found = {u.id: u for u in rows.scalars()}
        return [found.get(i) for i in ids]

    async def _achievements(self, ids: Sequence[uuid.UUID]) -> list[Record | None]:
        async with self.session() as session:
            found = await catalogue.public_by_ids(session, ids)
        return [found.get(i) for i in ids]

    async def _built_from(self, ids: Sequence[uuid.UUID]) -> list[list[Record]]:
        async with self.session() as session:
            found = await catalogue.built_from(session, ids)
        return [found.get(i, []) for i in ids]

    async def _summaries(self, filters: Sequence[CatalogueFilter]) -> list[Summary]:
        """Count and facets, from the process cache or one statement per filter."""
        found = []
        for f in filters:
            known = catalogue.SUMMARIES.get(f)
            if known is None:
                since = catalogue_cache.generation()
                async with self.session() as session:
                    known = await catalogue.summary(session, f)
                catalogue.SUMMARIES.keep(f, known, since)
            found.append(known)
        return found


class Context(BaseContext):
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        super().__init__()
        self.sessionmaker = sessionmaker
        self.loaders = Loaders(sessionmaker)
        # Set once a query ran without errors: only then may its response be cached.
        self.cacheable = False

    def mark_cacheable(self) -> None:
        self.cacheable = True

    def authorization(self) -> str | None:
        request: Request | None = self.request  # type: ignore[assignment]
        return request.headers.get("authorization") if request else None


async def get_context(request: Request) -> Context:
    return Context(request.app.state.sessionmaker)


__all__ = ["Any", "Context", "Loaders", "Record", "get_context"]
