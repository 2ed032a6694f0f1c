from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class CheckOut(BaseModel):
    check: str = Field(
        description="parsing, algorithm, header, key, signature, claims, "
        "validity, schema, status or trust; for an SD-JWT VC also disclosures and key_binding"
    )
    outcome: Literal["passed", "failed", "skipped", "warning"]
    detail: str


class IssuerOut(BaseModel):
    id: str | None
    name: str | None = None
    known_as: Literal["this_instance", "trust_list"] | None = Field(
        default=None, description="Where this instance knows the issuer from, if at all."
    )
    recognised: bool | None = Field(
        default=None,
        description="For institutions of this instance: may it issue formal micro-credentials. "
        "Stated only for credentials issued under the issuing policy (for an achievement of the "
        "institution's catalogue); null for credentials signed from a caller's VC-API document.",
    )


class AchievementSummary(BaseModel):
    """The EU elements a verifier looks at first, as the credential states them."""

    name: str | None = None
    achievement_type: str | None = None
    credits_ects: float | None = None
    eqf_level: int | None = None
    field_of_study: str | None = None
    participation: str | None = None
    assessment: str | None = None
    quality_assurance: str | None = None
    learning_outcomes: list[str] = Field(default_factory=list)
    awarded: str | None = None
    result: list[str] = Field(default_factory=list)


class VerificationOut(BaseModel):
    verified: bool = Field(description="Every check passed (trust is reported on its own).")
    issuer_trusted: bool
    profile: str | None
    checks: list[CheckOut]
    issuer: IssuerOut | None = None
    achievement: AchievementSummary | None = None
    credential: dict[str, Any] | None = Field(
        default=None,
        description="The decoded credential (VCDM 1.1 shape for vc-jwt-11; for an SD-JWT VC, "
        "the claims in clear and those disclosed).",
    )
    disclosed: list[str] | None = Field(
        default=None,
        description="SD-JWT VC only: the claims the holder disclosed, as JSON pointers without "
        "the leading '/' (e.g. 'achievement_title', 'learning_outcomes').",
    )
