from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from app.config import SecuringProfileName
from app.credentials.securing import PROFILE_ALGORITHMS
from app.institutions.countries import ISO_3166_1_ALPHA_2
from app.institutions.models import Institution
from app.keys.algorithms import Algorithm
from app.keys.did import institution_did
from app.schemas_common import EmailStr, HttpUrlStr, LongText, ShortText


def _known_country(code: str) -> str:
    if code not in ISO_3166_1_ALPHA_2:
        raise ValueError("must be an ISO 3166-1 alpha-2 country code")
    return code


Slug = Annotated[
    str, StringConstraints(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$", max_length=63)
]
CountryCode = Annotated[
    str, StringConstraints(pattern=r"^[A-Z]{2}$"), AfterValidator(_known_country)
]
IdentifierType = Literal["brin", "erasmus", "schac_home_organisation", "pic", "ror", "other"]


class InstitutionIdentifier(BaseModel):
    """An identifier of the institution in another register (BRIN, Erasmus code, SCHAC …)."""

    type: IdentifierType
    value: ShortText


class _InstitutionFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    legal_name: ShortText
    display_name: ShortText
    country_code: CountryCode
    region: ShortText | None = None
    identifiers: list[InstitutionIdentifier] = Field(default_factory=list, max_length=20)
    url: HttpUrlStr | None = None
    contact_email: EmailStr | None = None
    logo_url: HttpUrlStr | None = None
    quality_assurance_statement: LongText | None = None
    quality_assurance_framework: ShortText | None = None
    default_profile: SecuringProfileName = "vc-jose"
    ects_min: float | None = Field(default=None, ge=0, le=240)
    ects_max: float | None = Field(default=None, gt=0, le=240)
    suspendable_credentials: bool = Field(
        default=False,
        description="Credentials issued from now on can be suspended: they carry a suspension "
        "status entry besides the revocation one, and name Stapel's variant of the OB 3.0 "
        "schema, which allows the two. Off: one entry, the published OB 3.0 schema.",
    )


class InstitutionCreate(_InstitutionFields):
    slug: Slug
    recognised: bool = False
    signing_algorithm: Algorithm = "ES256"

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (
            self.ects_min is not None
            and self.ects_max is not None
            and self.ects_min > self.ects_max
        ):
            raise ValueError("ects_min must not exceed ects_max")
        if self.signing_algorithm not in PROFILE_ALGORITHMS[self.default_profile]:
            raise ValueError(
                f"the {self.default_profile} profile cannot be signed with {self.signing_algorithm}"
            )
        return self


class InstitutionUpdate(BaseModel):
    """Partial update; ``recognised`` may only be changed by an operator."""

    model_config = ConfigDict(extra="forbid")

    legal_name: ShortText | None = None
    display_name: ShortText | None = None
    country_code: CountryCode | None = None
    region: ShortText | None = None
    identifiers: list[InstitutionIdentifier] | None = Field(default=None, max_length=20)
    url: HttpUrlStr | None = None
    contact_email: EmailStr | None = None
    logo_url: HttpUrlStr | None = None
    quality_assurance_statement: LongText | None = None
    quality_assurance_framework: ShortText | None = None
    default_profile: SecuringProfileName | None = None
    ects_min: float | None = Field(default=None, ge=0, le=240)
    ects_max: float | None = Field(default=None, gt=0, le=240)
    suspendable_credentials: bool | None = None
    recognised: bool | None = None


class InstitutionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    slug: str
    did: str
    legal_name: str
    display_name: str
    country_code: str
    region: str | None
    identifiers: list[InstitutionIdentifier]
    url: str | None
    contact_email: str | None
    logo_url: str | None
    recognised: bool
    quality_assurance_statement: str | None
    quality_assurance_framework: str | None
    default_profile: SecuringProfileName
    ects_min: float
    ects_max: float
    suspendable_credentials: bool
    created_at: datetime
    updated_at: datetime


class OrgUnitCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: ShortText
    code: ShortText | None = None
    url: HttpUrlStr | None = None


class OrgUnitUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: ShortText | None = None
    code: ShortText | None = None
    url: HttpUrlStr | None = None


class OrgUnitOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    institution_id: uuid.UUID
    name: str
    code: str | None
    url: str | None
    created_at: datetime


def institution_out(institution: Institution) -> InstitutionOut:
    data = {f: getattr(institution, f) for f in InstitutionOut.model_fields if f != "did"}
    return InstitutionOut.model_validate({**data, "did": institution_did(institution.slug)})
