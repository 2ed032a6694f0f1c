"""The public catalogue: published achievements, filtered, searched, paged and counted.

Only the current version of a published achievement is in the catalogue. Pages are keyset
pages on (created_at, id), so adding achievements never shifts a page a client is reading.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    Text,
    and_,
    cast,
    func,
    literal_column,
    null,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY, REGCONFIG
from sqlalchemy.ext.asyncio import AsyncSession

from app.achievements.catalogue_cache import CatalogueCache
from app.achievements.models import SEARCH_CONFIGS, Achievement, AchievementVersion
from app.errors import FieldError, ValidationFailed
from app.institutions.models import Institution

# A search text is a few words; a long one costs the database seconds to turn into a query in
# five configurations. The other text filters are slugs, codes and URIs.
MAX_SEARCH_CHARS: Final = 200
MAX_FILTER_CHARS: Final = 256

_CURRENT = and_(
    AchievementVersion.achievement_id == Achievement.id,
    AchievementVersion.version == Achievement.current_version,
)


@dataclass(frozen=True, slots=True)
class CatalogueFilter:
    institution_slug: str | None = None
    org_unit_id: uuid.UUID | None = None
    kind: str | None = None
    eqf_min: int | None = None
    eqf_max: int | None = None
    ects_min: float | None = None
    ects_max: float | None = None
    language: str | None = None
    participation: str | None = None
    assessment: str | None = None
    field_of_study: str | None = None
    esco_skill: str | None = None
    search: str | None = None


def check_filter(f: CatalogueFilter) -> None:
    """Refuse text filters too long to be meant, before any database work."""
    texts = {
        "institution": f.institution_slug,
        "kind": f.kind,
        "language": f.language,
        "participation": f.participation,
        "assessment": f.assessment,
        "fieldOfStudy": f.field_of_study,
        "escoSkill": f.esco_skill,
    }
    errors = [
        FieldError(f"#/filter/{name}", f"at most {MAX_FILTER_CHARS} characters", "too_long")
        for name, value in texts.items()
        if value is not None and len(value) > MAX_FILTER_CHARS
    ]
    if f.search is not None and len(f.search) > MAX_SEARCH_CHARS:
        errors.append(
            FieldError("#/filter/search", f"at most {MAX_SEARCH_CHARS} characters", "too_long")
        )
    if errors:
        raise ValidationFailed("A filter text is too long.", errors=errors)


def _prefix_query(text: str) -> str | None:
    """Every word as a prefix ("zorg" finds "zorgtechnologie"); only word characters pass."""
    words = re.findall(r"\w+", text)[:20]
    return " & ".join(f"{word}:*" for word in words) or None


def _search(text: str) -> ColumnElement[bool]:
    """Matches in any of the catalogue's languages, unstemmed, or as word prefixes (OR-ed)."""
    combined: ColumnElement[Any] = func.websearch_to_tsquery(
        cast(SEARCH_CONFIGS[0], REGCONFIG), text
    )
    for config in SEARCH_CONFIGS[1:]:
        combined = combined.op("||")(func.websearch_to_tsquery(cast(config, REGCONFIG), text))
    prefixes = _prefix_query(text)
    if prefixes:
        combined = combined.op("||")(func.to_tsquery(cast("simple", REGCONFIG), prefixes))
    return AchievementVersion.search_vector.op("@@")(combined)


def _conditions(f: CatalogueFilter) -> list[ColumnElement[bool]]:
    v = AchievementVersion
    # Each condition is built only for a filter value that was given.
    optional: list[tuple[Any, Callable[[Any], ColumnElement[bool]]]] = [
        (f.institution_slug, lambda x: Institution.slug == x),
        (f.org_unit_id, lambda x: Achievement.org_unit_id == x),
        (f.kind, lambda x: v.kind == x),
        (f.eqf_min, lambda x: v.eqf_level >= x),
        (f.eqf_max, lambda x: v.eqf_level <= x),
        (f.ects_min, lambda x: v.ects >= x),
        (f.ects_max, lambda x: v.ects <= x),
        (f.language, lambda x: v.languages.contains([x])),
        (f.participation, lambda x: v.participation_form == x),
        (f.assessment, lambda x: v.assessment["type"].astext == x),
        (f.field_of_study, lambda x: v.field_of_study.startswith(x, autoescape=True)),
        (f.esco_skill, lambda x: v.learning_outcomes.contains([{"esco_skill": x}])),
    ]
    found: list[ColumnElement[bool]] = [Achievement.state == "published"]
    found.extend(build(value) for value, build in optional if value is not None)
    if f.search and f.search.strip():
        found.append(_search(f.search.strip()))
    return found


def _filtered(columns: Sequence[Any], f: CatalogueFilter) -> Select[Any]:
    return (
        select(*columns)
        .select_from(Achievement)
        .join(AchievementVersion, _CURRENT)
        .join(Institution, Institution.id == Achievement.institution_id)
        .where(*_conditions(f))
    )


async def page(
    session: AsyncSession,
    f: CatalogueFilter,
    *,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> Sequence[Any]:
    query = _filtered([Achievement, AchievementVersion], f).order_by(
        Achievement.created_at, Achievement.id
    )
    if after is not None:
        query = query.where(tuple_(Achievement.created_at, Achievement.id) > after)
    rows: Sequence[Any] = (await session.execute(query.limit(limit))).all()
    return rows


@dataclass(frozen=True, slots=True)
class Summary:
    """How many achievements match a filter, and the counts per value of every facet."""

    total: int
    facets: dict[str, list[tuple[Any, int]]]


def _summary_query(f: CatalogueFilter) -> Select[Any]:
    """The count and every facet in one statement: the filtered join is computed once (a CTE
    used several times is materialised) instead of once per facet.

    Rows are (facet, number, value, n); ``number`` orders EQF levels as numbers and ``value``
    orders the rest, so each facet comes out in the order ``ORDER BY value`` gave it alone.
    """
    v = AchievementVersion
    matching = _filtered(
        [
            v.eqf_level.label("eqf_level"),
            v.kind.label("kind"),
            v.languages.label("languages"),
            v.participation_form.label("participation"),
            Institution.slug.label("institution"),
        ],
        f,
    ).cte("matching")
    language = select(func.unnest(matching.c.languages).label("value")).subquery("language")

    def branch(name: str, number: Any, value: Any) -> Select[Any]:
        return select(
            literal_column(f"'{name}'", Text).label("facet"),
            number.label("number"),
            value.label("value"),
            func.count().label("n"),
        )

    no_number, no_value = null().cast(Integer), null().cast(Text)
    branches = [
        branch("", no_number, no_value).select_from(matching),
        branch(
            "eqf_level", matching.c.eqf_level.cast(Integer), matching.c.eqf_level.cast(Text)
        ).group_by(matching.c.eqf_level),
        *(
            branch(name, no_number, column.cast(Text)).group_by(column)
            for name, column in (
                ("kind", matching.c.kind),
                ("participation", matching.c.participation),
                ("institution", matching.c.institution),
            )
        ),
        branch("language", no_number, language.c.value).group_by(language.c.value),
    ]
    rows = union_all(*branches).subquery("facet")
    facet, number, value, n = rows.c
    return select(facet, number, value, n).order_by(facet, number, value)


# Count and facets per filter change only when the catalogue does (see catalogue_cache).
SUMMARIES: CatalogueCache[CatalogueFilter, Summary] = CatalogueCache(
    max_entries=1024, max_weight=1024
)


async def summary(session: AsyncSession, f: CatalogueFilter) -> Summary:
    facets: dict[str, list[tuple[Any, int]]] = {name: [] for name in FACETS}
    total = 0
    for name, number, value, n in (await session.execute(_summary_query(f))).all():
        if not name:
            total = int(n)
        elif value is not None:
            facets[name].append((number if number is not None else value, int(n)))
    return Summary(total, facets)


async def count(session: AsyncSession, f: CatalogueFilter) -> int:
    return int((await session.execute(_filtered([func.count()], f))).scalar_one())


async def facet(session: AsyncSession, f: CatalogueFilter, column: Any) -> list[tuple[Any, int]]:
    """Counts per value of ``column`` (a column or an unnested array) under the filter."""
    query = _filtered([column.label("value"), func.count().label("n")], f).group_by("value")
    rows = (await session.execute(query.order_by("value"))).all()
    return [(value, int(n)) for value, n in rows if value is not None]


FACETS: dict[str, Any] = {
    "eqf_level": AchievementVersion.eqf_level,
    "kind": AchievementVersion.kind,
    "language": func.unnest(AchievementVersion.languages),
    "participation": AchievementVersion.participation_form,
    "institution": Institution.slug,
}


async def public_by_ids(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[Achievement, AchievementVersion]]:
    if not ids:
        return {}
    rows = (
        await session.execute(
            _filtered([Achievement, AchievementVersion], CatalogueFilter()).where(
                Achievement.id.in_(ids)
            )
        )
    ).all()
    return {row[0].id: (row[0], row[1]) for row in rows}


async def built_from(
    session: AsyncSession, targets: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[tuple[Achievement, AchievementVersion]]]:
    """For each target, the published achievements that say they stack into it.

    ``?|`` on the stacks_into array is answered from a GIN index, not a scan of the catalogue.
    """
    if not targets:
        return {}
    wanted = [str(t) for t in targets]
    stacks_into = AchievementVersion.stackability["stacks_into"]
    query = (
        _filtered([Achievement, AchievementVersion], CatalogueFilter())
        .where(stacks_into.has_any(cast(wanted, ARRAY(Text))))
        .order_by(Achievement.created_at, Achievement.id)
    )
    found: dict[uuid.UUID, list[tuple[Achievement, AchievementVersion]]] = {t: [] for t in targets}
    for achievement, version in (await session.execute(query)).all():
        for target in (version.stackability or {}).get("stacks_into", []):
            if target in wanted:
                found[uuid.UUID(target)].append((achievement, version))
    return found
