"""A stacked achievement's pathway: the rule that earns it, and what happens when it holds.

The pathway is one of the achievement's versioned elements (``AchievementContent.pathway``), so
an edit after the first issuance makes a new version like any other element.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from app.achievements.vocabulary import ESCO_SKILL_PREFIX

RuleKind = Literal["all", "n_of", "min_ects"]


def _esco_skill(value: str) -> str:
    if not value.startswith(ESCO_SKILL_PREFIX):
        raise ValueError(f"must be an ESCO skill URI ({ESCO_SKILL_PREFIX}…)")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ComponentMatch(_Strict):
    """Any achievement with all of the given properties counts (for ``min_ects`` rules)."""

    field_of_study: str | None = Field(
        default=None, pattern=r"^\d{2}(\d{1,2})?$", description="ISCED-F code, or its prefix"
    )
    eqf_level: int | None = Field(default=None, ge=1, le=8, description="At least this level")
    esco_skill: Annotated[str, AfterValidator(_esco_skill)] | None = Field(
        default=None, description="A learning outcome with this ESCO skill"
    )

    @model_validator(mode="after")
    def _something(self) -> Self:
        if self.field_of_study is None and self.eqf_level is None and self.esco_skill is None:
            raise ValueError("give a field_of_study, an eqf_level or an esco_skill")
        return self


class Pathway(_Strict):
    """``all`` of the components; ``n`` of them; or ``min_ects`` from them or from a match."""

    rule: RuleKind
    components: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=50,
        description="Achievements of this institution, or of issuers it recognises.",
    )
    n: int | None = Field(default=None, ge=1, le=50)
    min_ects: float | None = Field(default=None, gt=0, le=240)
    match: ComponentMatch | None = None
    within_years: int | None = Field(
        default=None, ge=1, le=50, description="Components awarded at most this long ago."
    )
    min_grade: float | None = Field(
        default=None, description="Components need a numeric grade of at least this."
    )
    on_satisfied: Literal["issue", "approve"] = Field(
        default="issue", description="Issue at once, or queue for staff approval."
    )
    on_component_lost: Literal["suspend", "revoke"] = Field(
        default="suspend", description="What happens to the stacked credential."
    )

    @model_validator(mode="after")
    def _shape(self) -> Self:
        if len(set(self.components)) != len(self.components):
            raise ValueError("a component is named twice")
        if self.rule in ("all", "n_of") and not self.components:
            raise ValueError(f"an {self.rule} rule names its components")
        if self.rule != "n_of" and self.n is not None:
            raise ValueError("n belongs to n_of rules")
        if self.rule == "n_of" and (self.n is None or self.n > len(self.components)):
            raise ValueError("an n_of rule needs n between 1 and the number of components")
        if self.rule != "min_ects" and (self.min_ects is not None or self.match is not None):
            raise ValueError("min_ects and match belong to min_ects rules")
        if self.rule == "min_ects":
            if self.min_ects is None:
                raise ValueError("a min_ects rule states min_ects")
            if bool(self.components) == (self.match is not None):
                raise ValueError("a min_ects rule takes either components or a match")
        return self


class ApprovalOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    achievement_id: uuid.UUID = Field(description="The stacked achievement.")
    component_ids: list[uuid.UUID] = Field(description="The component credentials.")
    ects: float | None = Field(description="The ECTS the components earned together.")
    status: Literal["pending", "approved", "denied"]
    credential_id: uuid.UUID | None = Field(description="The stacked credential, once approved.")
    created_at: datetime
    decided_at: datetime | None


class ApprovalDecision(_Strict):
    reason: str | None = Field(default=None, max_length=2000, description="Kept in the audit log.")
