"""Credential requests over REST: what an LMS or SIS sends, and what staff see and decide."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from app.credentials.schemas import Learner
from app.schemas_common import HttpUrlStr, LongText

RequestStatus = Literal["pending", "approved", "denied"]
# A compact JWT, or the base64 of a baked badge. The badge's own bound is the verify page's
# (STAPEL_VERIFY_UPLOAD_MAX_BYTES, checked once decoded); this one only stops the absurd, and
# the route's body limit (STAPEL_REQUEST_MAX_UPLOAD_BYTES) comes first anyway.
_MAX_CREDENTIAL_CHARS = 10_485_760
_MAX_BADGE_CHARS = 4 * 52_428_800 // 3 + 4


def _https(value: str) -> str:
    if not value.startswith("https://"):
        raise ValueError("must be an https URL")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EvidenceIn(_Strict):
    """At least one of: a text, a link (stored, never fetched), an external credential."""

    text: LongText | None = Field(default=None, description="What the learner did, in words.")
    url: Annotated[HttpUrlStr, AfterValidator(_https)] | None = Field(
        default=None, description="A link to the work (https); stored, not fetched."
    )
    external_credential: str | None = Field(
        default=None,
        max_length=_MAX_CREDENTIAL_CHARS,
        description="A credential of another issuer as a compact JWT (VC-JWT). Verified, and "
        "accepted only from an issuer the institution recognises, naming this learner.",
    )
    external_badge: str | None = Field(
        default=None,
        max_length=_MAX_BADGE_CHARS,
        description="The same as a baked badge: a PNG or SVG image carrying the JWT, in base64.",
    )

    @model_validator(mode="after")
    def _something(self) -> Self:
        if self.external_credential and self.external_badge:
            raise ValueError("give external_credential or external_badge, not both")
        if not (self.text or self.url or self.external_credential or self.external_badge):
            raise ValueError("give a text, a url or an external credential")
        return self


class RequestCreate(_Strict):
    achievement_id: uuid.UUID = Field(description="A published achievement of the institution.")
    learner: Learner
    evidence: EvidenceIn


class ExternalCredentialOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    document_id: str = Field(description="The credential's own id, as its issuer gave it.")
    issuer_did: str
    achievement_url: str = Field(description="The achievement, as its issuer names it.")
    achievement_name: str | None
    ects: float | None
    eqf_level: int | None
    awarded_on: date | None


class RequestOut(BaseModel):
    id: uuid.UUID
    achievement_id: uuid.UUID
    status: RequestStatus
    source: Literal["api", "claim_page"]
    evidence_text: str | None
    evidence_url: str | None
    external_credential: ExternalCredentialOut | None
    credential_id: uuid.UUID | None = Field(description="The credential issued on approval.")
    reason: str | None = Field(description="Why it was denied.")
    created_at: datetime
    decided_at: datetime | None


class ApproveIn(_Strict):
    reason: LongText | None = Field(default=None, description="Kept in the audit log.")


class DenyIn(_Strict):
    reason: LongText = Field(description="Why: kept with the request and in the audit log.")


class BulkApproveIn(_Strict):
    ids: list[uuid.UUID] = Field(min_length=1, max_length=100)
    reason: LongText | None = Field(default=None, description="Kept in the audit log.")


class BulkError(BaseModel):
    code: str
    detail: str


class BulkResult(BaseModel):
    id: uuid.UUID
    status: Literal["approved", "failed"]
    credential_id: uuid.UUID | None = None
    error: BulkError | None = None


class BulkOut(BaseModel):
    results: list[BulkResult]
