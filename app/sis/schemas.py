"""What student information systems send, and what staff read and manage over REST."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from app.credentials.schemas import Did
from app.schemas_common import BigintId, EmailStr, LongText, ShortText, fits
from app.sis.models import Integration

CourseCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Term = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
StudentId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


def _number_as_text(value: Any) -> Any:
    # SIS exports send 7.5 as often as "7.5"; both are the same grade.
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return str(value)
    return value


Grade = Annotated[
    str,
    BeforeValidator(_number_as_text),
    StringConstraints(strip_whitespace=True, min_length=1, max_length=32),
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Student(_Strict):
    id: StudentId = Field(description="The student number in the SIS.")
    name: ShortText
    # Optional, for the EU Learning Credential's family_name and given_name (see docs/eudi.md).
    family_name: ShortText | None = None
    given_name: ShortText | None = None
    email: EmailStr | None = None
    did: Did | None = None


class StudentRef(_Strict):
    id: StudentId
    name: ShortText | None = None


class CourseResult(_Strict):
    """One course result as the SIS recorded it."""

    result_id: ShortText | None = Field(
        default=None, description="The SIS's own reference of the result (no student number)."
    )
    student: Student
    course_code: CourseCode
    term: Term
    grade: Grade
    assessment_date: date
    identity_verified: bool


class ResultWithdrawal(_Strict):
    result_id: ShortText | None = None
    student: StudentRef
    course_code: CourseCode
    term: Term
    reason: LongText | None = None


ResultKind = Literal["recorded", "corrected", "withdrawn"]
EVENT_TYPES: dict[str, ResultKind] = {
    "course_result.recorded": "recorded",
    "course_results.batch": "recorded",
    "course_result.corrected": "corrected",
    "course_result.withdrawn": "withdrawn",
}
EventType = Literal[
    "course_result.recorded",
    "course_results.batch",
    "course_result.corrected",
    "course_result.withdrawn",
]


@dataclass(slots=True)
class Parsed:
    """An event read from a webhook body or a CSV file: its results not yet validated."""

    event_type: str
    kind: ResultKind
    payloads: list[Any]
    single: bool
    # For a CSV file: the line each result ends on (the header is line 1), to name bad rows by.
    lines: list[int] = field(default_factory=list)


ResultStatus = Literal["pending", "issued", "revoked", "skipped", "failed", "dead"]


# --- integrations and course mappings ---------------------------------------------------------


IntegrationName = Annotated[ShortText, fits(Integration.name)]


class IntegrationCreate(_Strict):
    name: IntegrationName


class IntegrationUpdate(_Strict):
    name: IntegrationName


class SecretOut(BaseModel):
    id: uuid.UUID
    created_at: datetime
    expires_at: datetime | None


class IntegrationOut(BaseModel):
    id: uuid.UUID
    name: str
    intake_url: str = Field(description="Where the SIS posts its signed events.")
    secrets: list[SecretOut] = Field(description="Secrets that verify now; values are not shown.")
    created_at: datetime


class IntegrationCreated(IntegrationOut):
    secret: str = Field(description="The Standard Webhooks secret (`whsec_…`); shown only once.")


class SecretRotate(_Strict):
    overlap_seconds: int = Field(
        default=86_400,
        ge=0,
        le=30 * 86_400,
        description="How long the secrets in use now keep verifying beside the new one.",
    )


class SecretRotated(BaseModel):
    secret: str = Field(description="The new secret (`whsec_…`); shown only once.")
    secrets: list[SecretOut]


class PassRule(_Strict):
    """A result passes when its grade, read as a number, reaches the threshold, or when it is one
    of the pass values (compared without regard to case)."""

    threshold: Decimal | None = Field(default=None, ge=0, le=10_000, decimal_places=3)
    pass_values: list[Annotated[str, StringConstraints(min_length=1, max_length=32)]] = Field(
        default_factory=list, max_length=50
    )

    @model_validator(mode="after")
    def _some_rule(self) -> Self:
        if self.threshold is None and not self.pass_values:
            raise ValueError("give a threshold, pass_values, or both")
        return self


class CourseMappingIn(_Strict):
    course_code: CourseCode
    term: Term | None = Field(
        default=None, description="Only this term; omit for every term without its own mapping."
    )
    achievement_id: uuid.UUID
    pass_rule: PassRule


class CourseMappingOut(BaseModel):
    id: uuid.UUID
    course_code: str
    term: str | None
    achievement_id: uuid.UUID
    pass_rule: PassRule
    created_at: datetime
    updated_at: datetime


# --- events and results -----------------------------------------------------------------------


class InvalidResult(BaseModel):
    position: int
    errors: list[dict[str, Any]]


class EventAccepted(BaseModel):
    event_id: uuid.UUID
    duplicate: bool = Field(description="True when this message id was accepted before.")
    results: int = Field(description="Results in the event.")
    invalid: list[InvalidResult] = Field(
        default_factory=list,
        description="Results that failed validation; each is recorded as failed (invalid_data).",
    )


class OutcomeCounts(BaseModel):
    pending: int = 0
    issued: int = 0
    revoked: int = 0
    skipped: int = 0
    failed: int = 0
    dead: int = 0


class EventOut(BaseModel):
    id: uuid.UUID
    integration_id: uuid.UUID
    message_id: str
    event_type: str
    source: Literal["webhook", "csv"]
    received_at: datetime
    result_count: int
    counts: OutcomeCounts


class ResultOut(BaseModel):
    id: int
    event_id: uuid.UUID
    integration_id: uuid.UUID
    position: int
    kind: ResultKind
    status: ResultStatus
    reason_code: str | None
    reason: str | None
    credential_id: uuid.UUID | None
    attempts: int
    course_code: str | None
    term: str | None
    result_id: str | None
    created_at: datetime
    processed_at: datetime | None


class Replay(_Strict):
    event_id: uuid.UUID | None = None
    integration_id: uuid.UUID | None = None
    result_ids: list[BigintId] | None = Field(default=None, max_length=10_000)
    statuses: list[Literal["failed", "dead"]] = Field(default=["failed", "dead"], min_length=1)


class Replayed(BaseModel):
    requeued: int


class QueueStats(BaseModel):
    pending: int
    due: int = Field(description="Pending results whose next attempt is due now.")
    oldest_pending_age_seconds: float | None
    outcomes: OutcomeCounts
