from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    model_validator,
)

from app.config import SecuringProfileName
from app.schemas_common import EmailStr, HttpUrlStr, LongText, ShortText

Did = Annotated[
    str, StringConstraints(pattern=r"^did:[a-z0-9]+:[A-Za-z0-9._:%-]+$", max_length=2048)
]
IdempotencyKey = Annotated[str, StringConstraints(min_length=1, max_length=255)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Learner(_Strict):
    """Who earned it. Give at least one of student number, email or DID, and a name."""

    name: ShortText
    # The name in parts, optional: the EU Learning Credential (SD-JWT VC) carries family and
    # given names as claims of their own, and Stapel does not guess a split of ``name``.
    family_name: ShortText | None = None
    given_name: ShortText | None = None
    student_number: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)] | None
    ) = None
    email: EmailStr | None = None
    did: Did | None = None

    @model_validator(mode="after")
    def _identified(self) -> Self:
        if not (self.student_number or self.email or self.did):
            raise ValueError("give a student_number, an email or a did")
        return self


class EvidenceIn(_Strict):
    id: HttpUrlStr | None = None
    name: ShortText | None = None
    description: LongText | None = None


class CredentialIssue(_Strict):
    achievement_id: uuid.UUID
    learner: Learner
    awarded_on: date = Field(description="The day the achievement was awarded.")
    assessment_date: date | None = None
    grade: ShortText | None = Field(default=None, description="Grade or result achieved.")
    identity_verified: bool = Field(
        default=False, description="Whether the learner's identity was checked at assessment."
    )
    evidence: list[EvidenceIn] = Field(default_factory=list, max_length=20)
    sis_reference: ShortText | None = Field(
        default=None,
        description="Reference of the result in the student information system. It is "
        "carried in the credential as evidence, in clear: do not put a student number in it.",
    )
    valid_until: datetime | None = Field(
        default=None, description="Expiry; overrides the achievement's validity period."
    )
    profile: SecuringProfileName | None = Field(
        default=None, description="Securing profile; defaults to the institution's."
    )
    # Set by the pathway engine only, never from a request body: the ECTS a stacked
    # credential's components earned together, stated instead of the achievement's credits.
    _credits_earned: float | None = PrivateAttr(default=None)

    @property
    def credits_earned(self) -> float | None:
        return self._credits_earned

    def earning(self, ects: float | None) -> Self:
        """A copy that states ``ects`` as the credits earned."""
        copy = self.model_copy()
        copy._credits_earned = ects
        return copy

    @model_validator(mode="after")
    def _dates_consistent(self) -> Self:
        if self.valid_until is not None and self.valid_until.tzinfo is None:
            raise ValueError("valid_until needs a time zone")
        if self.assessment_date and self.assessment_date > self.awarded_on:
            raise ValueError("assessment_date cannot be after awarded_on")
        return self


class BatchItem(CredentialIssue):
    idempotency_key: IdempotencyKey | None = None


class CredentialBatchIssue(_Strict):
    items: list[BatchItem] = Field(min_length=1)


RevocationReason = Literal[
    "issued_in_error",
    "result_withdrawn",
    "result_corrected",
    "fraud",
    "superseded",
    "learner_request",
    "other",
]
SuspensionReason = Literal["under_investigation", "administrative_hold", "other"]
ReinstatementReason = Literal["investigation_closed", "hold_lifted", "other"]


class RevokeRequest(_Strict):
    reason_code: RevocationReason
    reason: LongText | None = Field(default=None, description="Free text, kept in the audit log.")


class SuspendRequest(_Strict):
    reason_code: SuspensionReason
    reason: LongText | None = None


class ReinstateRequest(_Strict):
    reason_code: ReinstatementReason = "investigation_closed"
    reason: LongText | None = None


class StatusEntry(BaseModel):
    purpose: Literal["revocation", "suspension"]
    status_list_credential: str
    index: int


class CredentialSummary(BaseModel):
    """A credential without its decoded JSON (the JWT carries it): what batch results hold."""

    id: uuid.UUID
    credential_id: str = Field(description="The `id` inside the credential (a urn:uuid).")
    achievement_id: uuid.UUID | None = Field(
        description="None for credentials issued through the VC-API from a caller's document."
    )
    achievement_version: int | None
    profile: SecuringProfileName
    state: Literal["active", "suspended", "revoked"]
    issued_at: datetime
    valid_until: datetime | None
    awarded_on: date | None
    status: list[StatusEntry]
    status_changed_at: datetime | None = None
    status_reason_code: str | None = None
    public_url: str | None = Field(
        default=None, description="The credential's public page, while the learner shares it."
    )
    claim_url: str | None = Field(
        default=None,
        description="The learner's claim link, only in the answer that made it (issuance or "
        "renewal); Stapel keeps no copy it could show again.",
    )
    jwt: str


class CredentialOut(CredentialSummary):
    credential: dict[str, Any] = Field(description="The credential, as signed in the JWT.")


class BatchResult(BaseModel):
    index: int
    status: Literal["issued", "replayed", "failed"]
    credential: CredentialSummary | None = None
    error: dict[str, Any] | None = Field(default=None, description="A problem object")


class BatchOut(BaseModel):
    issued: int
    replayed: int
    failed: int
    results: list[BatchResult]


class ClaimLinkOut(BaseModel):
    claim_url: str = Field(description="The new claim link; the previous one no longer works.")
    expires_at: datetime
    mail_queued: bool = Field(
        default=False, description="Whether the link is on its way to the learner by e-mail."
    )
