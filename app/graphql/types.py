"""GraphQL types of the catalogue. Every EU standard element of an achievement is a field."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from app.achievements.links import achievement_url, latest_achievement_url
from app.achievements.models import Achievement as AchievementRow
from app.achievements.models import AchievementVersion
from app.graphql.context import Context
from app.institutions.models import Institution as InstitutionRow
from app.institutions.models import OrgUnit as OrgUnitRow
from app.keys.did import institution_did

if TYPE_CHECKING:
    from app.graphql.catalogue import AchievementConnection


@strawberry.type(description="A learning outcome, optionally tied to an ESCO skill.")
class LearningOutcome:
    text: str
    esco_skill: str | None


@strawberry.type
class Assessment:
    type: str
    description: str | None


@strawberry.type
class QualityAssurance:
    type: str
    name: str | None
    description: str | None
    reference_url: str | None


@strawberry.type
class Grading:
    scheme: str
    description: str | None
    min_value: str | None
    max_value: str | None
    pass_value: str | None


@strawberry.type
class OrgUnit:
    id: strawberry.ID
    name: str
    code: str | None
    url: str | None


def org_unit_node(row: OrgUnitRow) -> OrgUnit:
    return OrgUnit(id=strawberry.ID(str(row.id)), name=row.name, code=row.code, url=row.url)


@strawberry.type
class Institution:
    id: strawberry.ID
    slug: str
    did: str
    display_name: str
    legal_name: str
    country_code: str
    region: str | None
    url: str | None
    recognised: bool
    quality_assurance_statement: str | None
    quality_assurance_framework: str | None

    @strawberry.field(description="This institution's published achievements.")
    async def achievements(
        self,
        info: Info[Context, None],
        first: int = 20,
        after: str | None = None,
    ) -> Annotated[AchievementConnection, strawberry.lazy("app.graphql.catalogue")]:
        from app.graphql.catalogue import AchievementFilter, achievement_connection

        return await achievement_connection(
            info, AchievementFilter(institution=self.slug), first, after
        )


def institution_node(row: InstitutionRow) -> Institution:
    return Institution(
        id=strawberry.ID(str(row.id)),
        slug=row.slug,
        did=institution_did(row.slug),
        display_name=row.display_name,
        legal_name=row.legal_name,
        country_code=row.country_code,
        region=row.region,
        url=row.url,
        recognised=row.recognised,
        quality_assurance_statement=row.quality_assurance_statement,
        quality_assurance_framework=row.quality_assurance_framework,
    )


@strawberry.type(description="A published micro-credential or badge, with every EU element.")
class Achievement:
    id: strawberry.ID
    version: int
    kind: str
    title: str
    description: str
    criteria: str | None
    learning_outcomes: list[LearningOutcome]
    ects: float | None
    workload_hours: int | None
    eqf_level: int | None
    qf_ehea_cycle: str | None
    assessment: Assessment
    participation_form: str
    quality_assurance: QualityAssurance | None
    prerequisites: list[str]
    supervision: str | None
    integration_options: str | None
    languages: list[str]
    field_of_study: str | None
    grading: Grading | None
    validity_months: int | None
    image_url: str | None
    further_information_url: str | None
    sis_course_codes: list[str]
    published_at: datetime | None
    achievement_url: str = strawberry.field(
        description="The OB3 Achievement JSON-LD of this version (the id credentials carry)."
    )
    latest_url: str
    institution_id: strawberry.Private[uuid.UUID]
    org_unit_id: strawberry.Private[uuid.UUID | None]
    stacks_into_ids: strawberry.Private[list[uuid.UUID]]
    pathway_component_ids: strawberry.Private[list[uuid.UUID]]
    pathway: JSON | None = strawberry.field(
        description="A stacked achievement's rule (the REST `pathway` object): see pathways.md."
    )

    @strawberry.field
    async def institution(self, info: Info[Context, None]) -> Institution:
        row = await info.context.loaders.institution.load(self.institution_id)
        assert row is not None  # noqa: S101 - the foreign key guarantees it
        return institution_node(row)

    @strawberry.field
    async def org_unit(self, info: Info[Context, None]) -> OrgUnit | None:
        if self.org_unit_id is None:
            return None
        row = await info.context.loaders.org_unit.load(self.org_unit_id)
        return org_unit_node(row) if row else None

    @strawberry.field(description="Published achievements this one counts towards.")
    async def stacks_into(self, info: Info[Context, None]) -> list[Achievement]:
        records = await info.context.loaders.achievement.load_many(self.stacks_into_ids)
        return [achievement_node(r) for r in records if r is not None]

    @strawberry.field(description="Published achievements this one's pathway names.")
    async def pathway_components(self, info: Info[Context, None]) -> list[Achievement]:
        records = await info.context.loaders.achievement.load_many(self.pathway_component_ids)
        return [achievement_node(r) for r in records if r is not None]

    @strawberry.field(description="Published achievements that count towards this one.")
    async def built_from(self, info: Info[Context, None]) -> list[Achievement]:
        records = await info.context.loaders.built_from.load(uuid.UUID(str(self.id)))
        return [achievement_node(r) for r in records]


def achievement_node(record: tuple[AchievementRow, AchievementVersion]) -> Achievement:
    row, v = record
    stack = v.stackability or {}
    qa, grading = v.quality_assurance, v.grading
    return Achievement(
        id=strawberry.ID(str(row.id)),
        version=v.version,
        kind=v.kind,
        title=v.title,
        description=v.description,
        criteria=v.criteria,
        learning_outcomes=[
            LearningOutcome(text=o["text"], esco_skill=o.get("esco_skill"))
            for o in v.learning_outcomes
        ],
        ects=v.ects,
        workload_hours=v.workload_hours,
        eqf_level=v.eqf_level,
        qf_ehea_cycle=v.qf_ehea_cycle,
        assessment=Assessment(
            type=v.assessment["type"], description=v.assessment.get("description")
        ),
        participation_form=v.participation_form,
        quality_assurance=QualityAssurance(
            type=qa["type"],
            name=qa.get("name"),
            description=qa.get("description"),
            reference_url=qa.get("reference_url"),
        )
        if qa
        else None,
        prerequisites=list(v.prerequisites or []),
        supervision=v.supervision,
        integration_options=stack.get("description"),
        languages=list(v.languages),
        field_of_study=v.field_of_study,
        grading=Grading(
            scheme=grading["scheme"],
            description=grading.get("description"),
            min_value=grading.get("min_value"),
            max_value=grading.get("max_value"),
            pass_value=grading.get("pass_value"),
        )
        if grading
        else None,
        validity_months=v.validity_months,
        image_url=v.image_url,
        further_information_url=v.further_information_url,
        sis_course_codes=list(row.sis_course_codes or []),
        published_at=row.published_at,
        achievement_url=achievement_url(row.id, v.version),
        latest_url=latest_achievement_url(row.id),
        institution_id=row.institution_id,
        org_unit_id=row.org_unit_id,
        stacks_into_ids=[uuid.UUID(str(t)) for t in stack.get("stacks_into", [])],
        pathway=JSON(v.pathway) if v.pathway is not None else None,
        pathway_component_ids=[uuid.UUID(c) for c in (v.pathway or {}).get("components", [])],
    )
