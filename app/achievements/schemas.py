"""Request and response shapes of achievements, with every EU standard element as a field."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from app.achievements.vocabulary import (
    ESCO_SKILL_PREFIX,
    AchievementKind,
    AchievementState,
    AssessmentType,
    GradingScheme,
    ParticipationForm,
    QfEheaCycle,
    QualityAssuranceType,
    Supervision,
)
from app.pathways.schemas import Pathway
from app.schemas_common import HttpUrlStr, LanguageCode, LongText, ShortText


def _esco_skill(value: str) -> str:
    if not value.startswith(ESCO_SKILL_PREFIX):
        raise ValueError(f"must be an ESCO skill URI ({ESCO_SKILL_PREFIX}…)")
    return value


EscoSkillUri = Annotated[str, AfterValidator(_esco_skill)]
IscedFCode = Annotated[str, StringConstraints(pattern=r"^\d{2}(\d{1,2})?$")]
CourseCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LearningOutcome(_Strict):
    text: LongText
    esco_skill: EscoSkillUri | None = None


class Assessment(_Strict):
    type: AssessmentType
    description: LongText | None = None


class QualityAssurance(_Strict):
    type: QualityAssuranceType
    name: ShortText | None = None
    description: LongText | None = None
    reference_url: HttpUrlStr | None = None


class Stackability(_Strict):
    """Integration / stackability options: what this can count towards."""

    description: LongText | None = None
    stacks_into: list[uuid.UUID] = Field(
        default_factory=list, max_length=50, description="Achievements of this institution."
    )
    external_urls: list[HttpUrlStr] = Field(default_factory=list, max_length=50)


class Grading(_Strict):
    scheme: GradingScheme
    description: ShortText | None = None
    min_value: ShortText | None = None
    max_value: ShortText | None = None
    pass_value: ShortText | None = None


class AchievementContent(_Strict):
    """The versioned part of an achievement: what a credential carries."""

    kind: AchievementKind
    title: ShortText
    description: LongText
    criteria: LongText | None = None
    learning_outcomes: list[LearningOutcome] = Field(min_length=1, max_length=100)
    ects: float | None = Field(default=None, gt=0, le=240)
    workload_hours: int | None = Field(default=None, gt=0, le=10000)
    eqf_level: int | None = Field(default=None, ge=1, le=8)
    qf_ehea_cycle: QfEheaCycle | None = None
    assessment: Assessment
    participation_form: ParticipationForm
    quality_assurance: QualityAssurance | None = None
    prerequisites: list[LongText] = Field(default_factory=list, max_length=50)
    supervision: Supervision | None = None
    stackability: Stackability | None = None
    pathway: Pathway | None = Field(
        default=None, description="The rule a stacked achievement is earned by; see pathways.md."
    )
    languages: list[LanguageCode] = Field(min_length=1, max_length=20)
    field_of_study: IscedFCode | None = Field(default=None, description="ISCED-F 2013 code")
    grading: Grading | None = None
    validity_months: int | None = Field(default=None, gt=0, le=1200)
    image_url: HttpUrlStr | None = None
    further_information_url: HttpUrlStr | None = None

    @model_validator(mode="after")
    def _pathway_on_stacked(self) -> Self:
        if (self.kind == "stacked") != (self.pathway is not None):
            raise ValueError("a stacked achievement has a pathway, and only a stacked one")
        return self


class AchievementCreate(AchievementContent):
    org_unit_id: uuid.UUID | None = None
    sis_course_codes: list[CourseCode] = Field(default_factory=list, max_length=100)


class AchievementUpdate(_Strict):
    """Partial update. Content fields go to a new version if the current one has been issued."""

    kind: AchievementKind | None = None
    title: ShortText | None = None
    description: LongText | None = None
    criteria: LongText | None = None
    learning_outcomes: list[LearningOutcome] | None = Field(default=None, min_length=1)
    ects: float | None = Field(default=None, gt=0, le=240)
    workload_hours: int | None = Field(default=None, gt=0, le=10000)
    eqf_level: int | None = Field(default=None, ge=1, le=8)
    qf_ehea_cycle: QfEheaCycle | None = None
    assessment: Assessment | None = None
    participation_form: ParticipationForm | None = None
    quality_assurance: QualityAssurance | None = None
    prerequisites: list[LongText] | None = None
    supervision: Supervision | None = None
    stackability: Stackability | None = None
    pathway: Pathway | None = None
    languages: list[LanguageCode] | None = Field(default=None, min_length=1)
    field_of_study: IscedFCode | None = None
    grading: Grading | None = None
    validity_months: int | None = Field(default=None, gt=0, le=1200)
    image_url: HttpUrlStr | None = None
    further_information_url: HttpUrlStr | None = None
    org_unit_id: uuid.UUID | None = None
    sis_course_codes: list[CourseCode] | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if not self.model_fields_set:
            raise ValueError("send at least one field to change")
        return self


class AchievementOut(AchievementContent):
    model_config = ConfigDict(extra="ignore")

    id: uuid.UUID
    institution_id: uuid.UUID
    org_unit_id: uuid.UUID | None
    state: AchievementState
    version: int
    sis_course_codes: list[str]
    achievement_url: str = Field(description="The OB3 Achievement id carried by credentials.")
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None


class AchievementVersionOut(AchievementContent):
    model_config = ConfigDict(extra="ignore", from_attributes=True)

    version: int
    frozen: bool
    created_at: datetime
