"""The GraphQL schema: the public catalogue, and mutations for institution staff."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.scalars import JSON
from strawberry.types import Info

from app.achievements import service as achievements
from app.achievements.schemas import AchievementCreate, AchievementUpdate
from app.achievements.service import AchievementRecord
from app.auth.dependencies import principal_for
from app.auth.principal import Principal
from app.auth.scopes import Scope
from app.errors import DomainError, FieldError, ValidationFailed
from app.graphql.catalogue import (
    AchievementConnection,
    AchievementFilter,
    achievement_connection,
)
from app.graphql.context import Context
from app.graphql.documents import DocumentCache
from app.graphql.errors import StableErrors, from_domain, graphql_error
from app.graphql.input_text import StorableVariables
from app.graphql.response_cache import MarkCacheable
from app.graphql.types import Achievement, Institution, achievement_node, institution_node
from app.institutions import repository as institutions


def _uuid(value: strawberry.ID) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


@strawberry.type
class Query:
    @strawberry.field(description="Published achievements, filtered and paged (newest last).")
    async def achievements(
        self,
        info: Info[Context, None],
        filter: AchievementFilter | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> AchievementConnection:
        return await achievement_connection(info, filter, first, after)

    @strawberry.field
    async def achievement(self, info: Info[Context, None], id: strawberry.ID) -> Achievement | None:
        key = _uuid(id)
        record = await info.context.loaders.achievement.load(key) if key else None
        return achievement_node(record) if record else None

    @strawberry.field
    async def institutions(self, info: Info[Context, None]) -> list[Institution]:
        async with info.context.loaders.session() as session:
            return [institution_node(i) for i in await institutions.list_all(session)]

    @strawberry.field
    async def institution(self, info: Info[Context, None], slug: str) -> Institution | None:
        async with info.context.loaders.session() as session:
            row = await institutions.get_by_slug(session, slug)
        return institution_node(row) if row else None


async def _as_staff(
    info: Info[Context, None],
    work: Callable[[AsyncSession, Principal], Awaitable[AchievementRecord]],
) -> Achievement:
    """Authenticate, require catalogue:write, run ``work`` in one committed transaction."""
    header = info.context.authorization() or ""
    token = header[7:].strip() if header.lower().startswith("bearer ") else None
    try:
        async with info.context.sessionmaker() as session, session.begin():
            principal = await principal_for(session, token)
            principal.require(Scope.CATALOGUE_WRITE)
            record = await work(session, principal)
    except DomainError as error:
        raise from_domain(error) from error
    return achievement_node((record.achievement, record.version))


def _validated(model: type[Any], data: JSON) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = [
            FieldError("#/" + "/".join(str(p) for p in e["loc"]), e["msg"], e["type"])
            for e in exc.errors()
        ]
        raise from_domain(ValidationFailed("The input is not valid.", errors=errors)) from exc


def _id(value: strawberry.ID) -> uuid.UUID:
    key = _uuid(value)
    if key is None:
        raise graphql_error("not_found", "No such achievement.", 404)
    return key


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create a draft achievement (the REST body, as JSON).")
    async def create_achievement(self, info: Info[Context, None], input: JSON) -> Achievement:
        body: AchievementCreate = _validated(AchievementCreate, input)
        return await _as_staff(info, lambda s, p: achievements.create_achievement(s, p, body))

    @strawberry.mutation(description="Edit; a new version once credentials were issued.")
    async def update_achievement(
        self, info: Info[Context, None], id: strawberry.ID, input: JSON
    ) -> Achievement:
        key, body = _id(id), _validated(AchievementUpdate, input)
        return await _as_staff(info, lambda s, p: achievements.update_achievement(s, p, key, body))

    @strawberry.mutation
    async def publish_achievement(
        self, info: Info[Context, None], id: strawberry.ID
    ) -> Achievement:
        key = _id(id)
        return await _as_staff(info, lambda s, p: achievements.publish_achievement(s, p, key))

    @strawberry.mutation
    async def archive_achievement(
        self, info: Info[Context, None], id: strawberry.ID
    ) -> Achievement:
        key = _id(id)
        return await _as_staff(info, lambda s, p: achievements.archive_achievement(s, p, key))


schema = strawberry.Schema(
    query=Query,
    mutation=Mutation,
    # Depth 8, 20 aliases, 2,000 tokens, storable strings, with parsed and validated documents
    # reused; errors with stable codes and no internals.
    extensions=[DocumentCache, StorableVariables, MarkCacheable, StableErrors],
)
