"""The public catalogue queries: a Relay-style connection with filters, facets and counts."""

from __future__ import annotations

import uuid
from typing import Any

import strawberry
from strawberry.types import Info

from app.achievements import catalogue
from app.achievements.catalogue import CatalogueFilter
from app.errors import DomainError
from app.graphql.context import Context
from app.graphql.errors import from_domain, graphql_error
from app.graphql.types import Achievement, achievement_node
from app.pagination import decode_keyset_cursor, encode_keyset_cursor

MAX_PAGE = 100


@strawberry.input(description="Every field narrows the catalogue; leave out what you need not.")
class AchievementFilter:
    institution: str | None = strawberry.field(default=None, description="Institution slug")
    org_unit: strawberry.ID | None = None
    kind: str | None = strawberry.field(default=None, description="formal or informal")
    eqf_min: int | None = None
    eqf_max: int | None = None
    ects_min: float | None = None
    ects_max: float | None = None
    language: str | None = strawberry.field(default=None, description="ISO 639-1, e.g. nl")
    participation: str | None = strawberry.field(
        default=None, description="online, onsite, blended"
    )
    assessment: str | None = strawberry.field(
        default=None, description="e.g. project, written_exam"
    )
    field_of_study: str | None = strawberry.field(
        default=None, description="ISCED-F code or prefix (03 matches 0311)"
    )
    esco_skill: str | None = strawberry.field(default=None, description="ESCO skill URI")
    search: str | None = strawberry.field(
        default=None,
        description="Words in title, description or learning outcomes "
        "(Dutch, English, German, French; quotes and OR as in web search)",
    )


def to_filter(f: AchievementFilter | None) -> CatalogueFilter:
    if f is None:
        return CatalogueFilter()
    try:
        org_unit = uuid.UUID(str(f.org_unit)) if f.org_unit else None
    except ValueError as exc:
        raise graphql_error("validation_failed", "orgUnit is not an id") from exc
    return CatalogueFilter(
        institution_slug=f.institution,
        org_unit_id=org_unit,
        kind=f.kind,
        eqf_min=f.eqf_min,
        eqf_max=f.eqf_max,
        ects_min=f.ects_min,
        ects_max=f.ects_max,
        language=f.language,
        participation=f.participation,
        assessment=f.assessment,
        field_of_study=f.field_of_study,
        esco_skill=f.esco_skill,
        search=f.search,
    )


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class AchievementEdge:
    cursor: str
    node: Achievement


@strawberry.type
class FacetCount:
    value: str
    count: int


@strawberry.type(description="Counts for a catalogue sidebar, under the current filter.")
class Facets:
    eqf_level: list[FacetCount]
    kind: list[FacetCount]
    language: list[FacetCount]
    participation: list[FacetCount]
    institution: list[FacetCount]


@strawberry.type
class AchievementConnection:
    edges: list[AchievementEdge]
    page_info: PageInfo
    filter: strawberry.Private[CatalogueFilter]

    @strawberry.field(description="How many achievements match the filter in all.")
    async def total_count(self, info: Info[Context, None]) -> int:
        return (await info.context.loaders.summary.load(self.filter)).total

    @strawberry.field
    async def facets(self, info: Info[Context, None]) -> Facets:
        # The same request's totalCount shares the one statement (and the process cache).
        found = await info.context.loaders.summary.load(self.filter)
        return Facets(
            **{
                name: [FacetCount(value=str(v), count=n) for v, n in rows]
                for name, rows in found.facets.items()
            }
        )


async def achievement_connection(
    info: Info[Context, None],
    f: AchievementFilter | CatalogueFilter | None,
    first: int,
    after: str | None,
) -> AchievementConnection:
    if not 1 <= first <= MAX_PAGE:
        raise graphql_error("page_too_large", f"first must lie between 1 and {MAX_PAGE}")
    where = f if isinstance(f, CatalogueFilter) else to_filter(f)
    try:
        catalogue.check_filter(where)
    except DomainError as exc:
        raise from_domain(exc) from exc
    try:
        position = decode_keyset_cursor(after)
    except Exception as exc:  # a bad cursor is the caller's error, whatever broke
        raise graphql_error("invalid_cursor", "after is not a cursor this API handed out") from exc
    async with info.context.loaders.session() as session:
        rows = await catalogue.page(session, where, after=position, limit=first + 1)
    records: list[Any] = [(r[0], r[1]) for r in rows[:first]]
    edges = [
        AchievementEdge(
            cursor=encode_keyset_cursor(a.created_at, a.id), node=achievement_node((a, v))
        )
        for a, v in records
    ]
    return AchievementConnection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=len(rows) > first,
            has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        filter=where,
    )
